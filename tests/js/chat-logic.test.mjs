import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tickFor, canRecall, newClientMessageId, mentionQuery, insertMention, mentionIds, FLAGS } from '../../WebGateway/wwwroot/js/chat-logic.js';

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
