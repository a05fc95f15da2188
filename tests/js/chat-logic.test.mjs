import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  tickFor, canRecall, newClientMessageId, mentionQuery, insertMention, mentionIds, describeNotice, FLAGS,
  reconnectDelayMs, insertionIndex, catchUpAfterSeq, NODE_LOST_CLOSE, RECONNECT_BASE_MS, RECONNECT_MAX_MS,
} from '../../WebGateway/wwwroot/js/chat-logic.js';
import { texts } from '../../WebGateway/wwwroot/js/i18n.js';

test('ticks: read beats delivered beats sent', () => {
  assert.equal(tickFor(5, 4, 3), 'sent');
  assert.equal(tickFor(5, 5, 3), 'delivered');
  assert.equal(tickFor(5, 5, 5), 'read');
  assert.equal(tickFor(5, 0, 7), 'read');
});

test('recall: own plain messages within two minutes only', () => {
  const now = 1_000_000;
  const mine = { senderId: 7, flags: 0, sentAtMs: now - 60_000 };
  assert.equal(canRecall(mine, 7, now), true);
  assert.equal(canRecall({ ...mine, sentAtMs: now - 121_000 }, 7, now), false);
  assert.equal(canRecall(mine, 8, now), false);
  assert.equal(canRecall({ ...mine, flags: FLAGS.recalled }, 7, now), false);
  assert.equal(canRecall({ ...mine, flags: FLAGS.assistant }, 7, now), false);
});

test('client message ids are safe integers and strictly increase', () => {
  const a = newClientMessageId(1_800_000_000_000);
  const b = newClientMessageId(1_800_000_000_000);
  assert.ok(Number.isSafeInteger(a) && Number.isSafeInteger(b));
  assert.ok(b > a);
});

test('mention being typed before the caret', () => {
  assert.equal(mentionQuery('hi @al', 6), 'al');
  assert.equal(mentionQuery('@', 1), '');
  assert.equal(mentionQuery('mail a@b', 8), null);
  assert.equal(mentionQuery('hi @al there', 12), null);
});

test('inserting a mention replaces the partial name', () => {
  assert.deepEqual(insertMention('hi @al', 6, 'alice'), { text: 'hi @alice ', caret: 10 });
  assert.deepEqual(insertMention('@b x', 2, 'bob'), { text: '@bob  x', caret: 5 });
});

test('mention ids: whole-word @names only, @all is 0', () => {
  const candidates = [{ userId: 0, name: '所有人' }, { userId: 2, name: 'bob' }, { userId: 3, name: 'bobby' }];
  assert.deepEqual(mentionIds(' hi @bob and @bobby', candidates), [2, 3]);
  assert.deepEqual(mentionIds(' hi @bobx', candidates), []);
  assert.deepEqual(mentionIds(' @所有人 开会', candidates), [0]);
  assert.deepEqual(mentionIds(' mail bob@bob.com', candidates), []);
});

test('group notices: the server\'s JSON becomes words with names; anything else is shown as it came', () => {
  const names = new Map([[2, '爱丽丝'], [3, '鲍勃'], [4, '卡罗尔']]);
  const nameOf = (id) => names.get(id) ?? `#${id}`;
  const zh = texts('zh-CN').notice;
  const en = texts('en').notice;
  const created = '{"event":"create","actor":2,"users":[3,4],"name":"\\u5468\\u672B\\u722C\\u5C71"}';
  assert.equal(describeNotice(created, nameOf, zh), '爱丽丝 创建了群聊「周末爬山」，成员：鲍勃、卡罗尔');
  assert.equal(describeNotice(created, nameOf, en), '爱丽丝 created the group "周末爬山" with 鲍勃, 卡罗尔');
  assert.equal(describeNotice('{"event":"join","actor":2,"users":[9]}', nameOf, zh), '爱丽丝 邀请 #9 加入了群聊');
  assert.equal(describeNotice('{"event":"leave","actor":3,"users":[3]}', nameOf, en), '鲍勃 left the group');
  assert.equal(describeNotice('{"event":"kick","actor":2,"users":[4]}', nameOf, zh), '爱丽丝 将 卡罗尔 移出了群聊');
  assert.equal(describeNotice('{"event":"rename","actor":2,"name":"$& {users}"}', nameOf, en), '爱丽丝 renamed the group to "$& {users}"');
  assert.equal(describeNotice('{"event":"party","actor":2}', nameOf, zh), '{"event":"party","actor":2}');
  assert.equal(describeNotice('not json <b>', nameOf, zh), 'not json <b>');
  assert.equal(describeNotice('null', nameOf, zh), 'null');
});

test('reconnect backoff doubles from 250 ms, is capped at 10 s and jittered within half of it', () => {
  assert.equal(reconnectDelayMs(1, () => 1), RECONNECT_BASE_MS);
  assert.equal(reconnectDelayMs(1, () => 0), RECONNECT_BASE_MS / 2);
  assert.equal(reconnectDelayMs(3, () => 1), 1000);
  assert.equal(reconnectDelayMs(10, () => 1), RECONNECT_MAX_MS);
  assert.equal(reconnectDelayMs(1000, () => 1), RECONNECT_MAX_MS);
  assert.equal(reconnectDelayMs(1000, () => 0), RECONNECT_MAX_MS / 2);
  assert.equal(NODE_LOST_CLOSE, 1012);
});

test('messages are placed by seq: a push that overtook the catch-up does not push older messages below it', () => {
  assert.equal(insertionIndex([], 5), 0);
  assert.equal(insertionIndex([1, 2, 3], 4), 3);
  assert.equal(insertionIndex([1, 2, 7], 4), 2);
  assert.equal(insertionIndex([5, 6, 7], 4), 0);
  assert.equal(insertionIndex([1, 4, 7], 4), 2);
});

test('catch-up starts below the first gap, not at the highest seq held', () => {
  assert.equal(catchUpAfterSeq([]), 0);
  assert.equal(catchUpAfterSeq([1, 2, 3]), 3);
  // m04 and m05 were missed while the node was down; m06 arrived live before the catch-up ran.
  assert.equal(catchUpAfterSeq([1, 2, 3, 6]), 3);
  assert.equal(catchUpAfterSeq([6, 3, 2, 1]), 3);
  // History paged in from seq 71: the run starts there.
  assert.equal(catchUpAfterSeq([71, 72, 73, 100]), 73);
});

test('recent chats: newest message first, empty conversations last, ties stable by id', async () => {
  const { recentOrder } = await import('../../WebGateway/wwwroot/js/chat-logic.js');
  const c = (id, sentAtMs, lastSeq = 1) => ({ conversationId: id, lastSeq, lastMessage: sentAtMs ? { sentAtMs } : null });
  assert.deepEqual(recentOrder([c(1, 100), c(2, 300), c(3, 0, 0), c(4, 200)]).map((x) => x.conversationId), [2, 4, 1, 3]);
  assert.deepEqual(recentOrder([c(5, 100), c(6, 100)]).map((x) => x.conversationId), [6, 5]);
  // The same millisecond: the later message id (a BigInt beyond 2^53) wins, as in the server's list.
  const same = (id, messageId) => ({ conversationId: id, lastSeq: 1, lastMessage: { sentAtMs: 100, messageId } });
  assert.deepEqual(recentOrder([same(1, 9007199254740993n), same(2, 9007199254740992)]).map((x) => x.conversationId), [1, 2]);
});

test('routes: a URL fragment per conversation, anything else is no route', async () => {
  const { routeOf, parseRoute, KIND } = await import('../../WebGateway/wwwroot/js/chat-logic.js');
  assert.equal(routeOf(KIND.direct, 42), '#/u/42');
  assert.equal(routeOf(KIND.group, 7), '#/g/7');
  assert.deepEqual(parseRoute('#/u/42'), { kind: KIND.direct, targetId: 42 });
  assert.deepEqual(parseRoute('#/g/7'), { kind: KIND.group, targetId: 7 });
  for (const bad of ['', '#', '#/u/', '#/x/1', '#/u/0', '#/u/1/2', '#/u/99999999999999999999', '#/u/-1']) assert.equal(parseRoute(bad), null, bad);
});

test('attention: the title counts unread outside the conversation being read', async () => {
  const { totalUnread, titleWithUnread } = await import('../../WebGateway/wwwroot/js/chat-logic.js');
  const list = [{ conversationId: 1, unread: 2 }, { conversationId: 2, unread: 3 }, { conversationId: 3, unread: 0 }];
  assert.equal(totalUnread(list, null), 5);
  assert.equal(totalUnread(list, 2), 2);
  assert.equal(titleWithUnread('Chat', 0), 'Chat');
  assert.equal(titleWithUnread('Chat', 5), '(5) Chat');
  assert.equal(titleWithUnread('Chat', 120), '(99+) Chat');
});

test('a read on another device clears the count only when it reaches the last message', async () => {
  const { afterOwnRead } = await import('../../WebGateway/wwwroot/js/chat-logic.js');
  const conv = { readSeq: 3, lastSeq: 10, unread: 7, mentionCount: 1 };
  assert.deepEqual(afterOwnRead(conv, 10), { conv: { readSeq: 10, lastSeq: 10, unread: 0, mentionCount: 0 }, exact: true });
  assert.deepEqual(afterOwnRead(conv, 6), { conv: { ...conv, readSeq: 6 }, exact: false });
  assert.equal(afterOwnRead(conv, 1).conv.readSeq, 3);
});

test('avatars: initials from names, a Chinese name gives its first character', async () => {
  const { initials, avatarHue } = await import('../../WebGateway/wwwroot/js/chat-logic.js');
  assert.equal(initials('爱丽丝'), '爱');
  assert.equal(initials('alice smith'), 'AS');
  assert.equal(initials('bob'), 'BO');
  assert.equal(initials('  '), '?');
  assert.equal(initials('😀 party'), '😀P');
  assert.ok(avatarHue(13) >= 0 && avatarHue(13) < 8);
});

test('message runs: same sender within five minutes on one day; notices break them', async () => {
  const { continuesRun, FLAGS, RUN_GAP_MS } = await import('../../WebGateway/wwwroot/js/chat-logic.js');
  const at = new Date(2030, 0, 1, 12, 0).getTime();
  const m = (senderId, sentAtMs, flags = 0) => ({ senderId, sentAtMs, flags });
  assert.equal(continuesRun(m(1, at), m(1, at + 60_000)), true);
  assert.equal(continuesRun(m(1, at), m(2, at + 60_000)), false);
  assert.equal(continuesRun(m(1, at), m(1, at + RUN_GAP_MS + 1)), false);
  assert.equal(continuesRun(m(1, at), m(1, at, FLAGS.system)), false);
  assert.equal(continuesRun(m(1, at), m(1, at, FLAGS.assistant)), false);
  const late = new Date(2030, 0, 1, 23, 59).getTime();
  assert.equal(continuesRun(m(1, late), m(1, late + 120_000)), false);
  assert.equal(continuesRun(null, m(1, at)), false);
});

test('previews: mine, group senders, notices and recalls in words', async () => {
  const { previewOf, FLAGS } = await import('../../WebGateway/wwwroot/js/chat-logic.js');
  const t = texts('en');
  const names = { 1: 'Alice', 2: 'Bob' };
  const nameOf = (id) => names[id] ?? `#${id}`;
  const options = (group) => ({ myUserId: 1, group, nameOf, t });
  assert.equal(previewOf({ senderId: 2, flags: 0, text: 'hi\nthere' }, options(false)), 'hi there');
  assert.equal(previewOf({ senderId: 2, flags: 0, text: 'hi' }, options(true)), 'Bob: hi');
  assert.equal(previewOf({ senderId: 1, flags: 0, text: 'yo' }, options(true)), 'Me: yo');
  assert.equal(previewOf({ senderId: 2, flags: FLAGS.recalled, text: '' }, options(false)), 'Bob recalled a message');
  assert.equal(previewOf({ senderId: 1, flags: FLAGS.recallNotice, text: '5' }, options(false)), 'You recalled a message');
  assert.equal(previewOf({ senderId: 1, flags: FLAGS.system, text: '{"event":"rename","actor":1,"name":"Hike"}' }, options(true)), 'Alice renamed the group to "Hike"');
  assert.equal(previewOf(null, options(false)), '');
});

test('member actions follow the server: the owner does all, an admin only removes plain members', async () => {
  const { memberActions, ROLE } = await import('../../WebGateway/wwwroot/js/chat-logic.js');
  const member = { userId: 2, role: ROLE.member };
  const admin = { userId: 3, role: ROLE.admin };
  assert.deepEqual(memberActions(ROLE.owner, 1, member), { kick: true, promote: true, demote: false, transfer: true });
  assert.deepEqual(memberActions(ROLE.owner, 1, admin), { kick: true, promote: false, demote: true, transfer: true });
  assert.deepEqual(memberActions(ROLE.admin, 1, member), { kick: true, promote: false, demote: false, transfer: false });
  assert.deepEqual(memberActions(ROLE.admin, 1, admin), { kick: false, promote: false, demote: false, transfer: false });
  assert.deepEqual(memberActions(ROLE.member, 1, member), { kick: false, promote: false, demote: false, transfer: false });
  assert.deepEqual(memberActions(ROLE.owner, 1, { userId: 1, role: ROLE.owner }), { kick: false, promote: false, demote: false, transfer: false });
});

test('drafts are kept per user and conversation', async () => {
  const { draftKey, KIND } = await import('../../WebGateway/wwwroot/js/chat-logic.js');
  assert.notEqual(draftKey(1, KIND.direct, 5), draftKey(2, KIND.direct, 5));
  assert.notEqual(draftKey(1, KIND.direct, 5), draftKey(1, KIND.group, 5));
});

test('every language has every chat text', () => {
  const zh = texts('zh-CN');
  const en = texts('en');
  assert.deepEqual(Object.keys(zh).sort(), Object.keys(en).sort());
  assert.match(zh.placeholder, /\/天气/);
  assert.match(zh.placeholder, /\/笑话/);
  assert.match(en.placeholder, /\/weather/);
});
