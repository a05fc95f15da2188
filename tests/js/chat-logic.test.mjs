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
