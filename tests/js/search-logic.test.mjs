// The search box's pure parts: snippets with their highlights, hits grouped by conversation.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { snippetParts, groupHits } from '../../WebGateway/wwwroot/js/chat-logic.js';

test('snippet parts: marked where the server highlighted, plain elsewhere, nothing lost', () => {
  assert.deepEqual(snippetParts('周六去爬山吗？', [{ start: 3, length: 2 }]),
    [{ text: '周六去', mark: false }, { text: '爬山', mark: true }, { text: '吗？', mark: false }]);
  assert.deepEqual(snippetParts('hiking 爬山 gear', [{ start: 7, length: 2 }, { start: 0, length: 6 }]),
    [{ text: 'hiking', mark: true }, { text: ' ', mark: false }, { text: '爬山', mark: true }, { text: ' gear', mark: false }]);
  assert.deepEqual(snippetParts('abc', []), [{ text: 'abc', mark: false }]);
});

test('snippet parts: ranges past the end are clipped and overlaps trimmed', () => {
  assert.deepEqual(snippetParts('abcdef', [{ start: 4, length: 10 }, { start: 1, length: 2 }, { start: 2, length: 2 }]),
    [{ text: 'a', mark: false }, { text: 'bc', mark: true }, { text: 'd', mark: true }, { text: 'ef', mark: true }]);
  assert.equal(snippetParts('abcdef', [{ start: 4, length: 10 }, { start: 1, length: 3 }]).map((p) => p.text).join(''), 'abcdef');
  assert.deepEqual(snippetParts('ab', [{ start: 5, length: 1 }]), [{ text: 'ab', mark: false }]);
});

test('hits group by conversation in the order of their newest hit, each hit once', () => {
  const hit = (conversationId, messageId) => ({ conversationId, kind: conversationId > 100 ? 2 : 1, targetId: conversationId * 10, messageId });
  const groups = groupHits([hit(7, 50), hit(300, 49), hit(7, 48), hit(9, 47), hit(300, 46), hit(7, 48)]);
  assert.deepEqual(groups.map((g) => g.conversationId), [7, 300, 9]);
  assert.deepEqual(groups[0].hits.map((h) => h.messageId), [50, 48]);
  assert.deepEqual(groups[1].hits.map((h) => h.messageId), [49, 46]);
  assert.deepEqual([groups[1].kind, groups[1].targetId], [2, 3000]);
  assert.deepEqual(groupHits([]), []);
});
