// The browser codec against the shared vectors (docs/protocol-vectors.json) and split-buffer cases.
// Run: node --test tests/js/
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { encodeFrame, tryDecodeFrame, decodeBody, directionOf, ProtocolError, DEFAULT_MAX_FRAME_SIZE, TYPE_NAMES } from '../../WebGateway/wwwroot/js/codec.js';
import { MESSAGES, STRUCTS } from '../../WebGateway/wwwroot/js/schema.g.js';

// The vector file writes a bytes field as base64 (what System.Text.Json does); the codec reads and writes Uint8Array.
function withBytes(fields, schemaFields) {
  const out = { ...fields };
  for (const [name, kind] of schemaFields) out[name] = bytesOf(kind, fields[name]);
  return out;
}
function bytesOf(kind, value) {
  if (value === null || value === undefined) return value;
  if (kind === 'bytes') return Uint8Array.from(Buffer.from(value, 'base64'));
  const m = /^(list|opt)<(.+)>$/.exec(kind);
  if (m?.[1] === 'list') return value.map((item) => bytesOf(m[2], item));
  if (m?.[1] === 'opt') return bytesOf(m[2], value);
  return STRUCTS[kind] ? withBytes(value, STRUCTS[kind]) : value;
}

const vectors = JSON.parse(readFileSync(new URL('../../docs/protocol-vectors.json', import.meta.url), 'utf8'))
  .map((v) => ('fields' in v ? { ...v, fields: withBytes(v.fields, MESSAGES[v.type].fields) } : v));
const valid = vectors.filter((v) => 'fields' in v);
const invalid = vectors.filter((v) => 'error' in v);
const fromHex = (hex) => Uint8Array.from(Buffer.from(hex, 'hex'));
const toHex = (bytes) => Buffer.from(bytes).toString('hex');
const concat = (...parts) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
};
const throwsCode = (fn, code) => assert.throws(fn, (e) => e instanceof ProtocolError && e.code === code);

test('every message type has a valid vector', () => {
  const covered = new Set(valid.map((v) => v.type));
  assert.deepEqual(Object.keys(MESSAGES).filter((n) => !covered.has(n)), []);
  assert.equal(Object.keys(MESSAGES).length, 82);
});

test('every type has a direction; requests are the 49 a client may send', () => {
  const dirs = Object.values(MESSAGES).map((m) => directionOf(m.code));
  assert.equal(dirs.filter((d) => d === 'request').length, 49);
  assert.equal(dirs.filter((d) => d === 'response' || d === 'push').length, 33);
  assert.equal(directionOf(MESSAGES.Pong.code), 'response');
  assert.equal(directionOf(MESSAGES.MessagePush.code), 'push');
  assert.equal(directionOf(0x7777), null);
  assert.ok(invalid.some((v) => v.level === 'direction'));
});

for (const v of valid) {
  test(`valid: ${v.name}: decodes to its fields`, () => {
    const bytes = fromHex(v.hex);
    const result = tryDecodeFrame(bytes, 0, DEFAULT_MAX_FRAME_SIZE);
    assert.ok(result);
    assert.equal(result.next, bytes.length);
    assert.equal(result.frame.typeName, v.type);
    assert.equal(result.frame.type, MESSAGES[v.type].code);
    assert.equal(result.frame.requestId, v.requestId);
    assert.deepStrictEqual(result.frame.fields, v.fields);
    assert.deepStrictEqual(decodeBody(v.type, bytes.subarray(10)), v.fields);
  });

  test(`valid: ${v.name}: encodes to its bytes`, () => {
    assert.equal(toHex(encodeFrame(v.type, v.requestId, v.fields)), v.hex);
  });

  test(`valid: ${v.name}: every prefix needs more, every split point reads the same`, () => {
    const bytes = fromHex(v.hex);
    for (let n = 0; n < bytes.length; n++) assert.equal(tryDecodeFrame(bytes.subarray(0, n)), null);
    // A frame that arrives in two pieces, accumulated as a WebSocket or socket reader would.
    for (let cut = 0; cut <= bytes.length; cut++) {
      const first = bytes.slice(0, cut);
      if (cut < bytes.length) assert.equal(tryDecodeFrame(first), null);
      const whole = concat(first, bytes.slice(cut));
      assert.deepStrictEqual(tryDecodeFrame(whole).frame.fields, v.fields);
    }
  });

  test(`valid: ${v.name}: trailing body bytes are ignored`, () => {
    const bytes = concat(fromHex(v.hex), Uint8Array.of(0xff, 0x02, 0xc0));
    new DataView(bytes.buffer).setUint32(0, bytes.length - 4);
    assert.deepStrictEqual(tryDecodeFrame(bytes).frame.fields, v.fields);
  });
}

for (const v of invalid) {
  test(`invalid (${v.level}): ${v.name}: ${v.error}`, () => {
    const bytes = fromHex(v.hex);
    if (v.level === 'frame') {
      throwsCode(() => tryDecodeFrame(bytes, 0, DEFAULT_MAX_FRAME_SIZE), v.error);
      return;
    }
    const type = new DataView(bytes.buffer).getUint16(4);
    if (v.level === 'direction') {
      // A sound frame of a type only servers send: it decodes, and its direction is what a server refuses.
      assert.equal(v.error, 'UnexpectedMessage');
      assert.notEqual(tryDecodeFrame(bytes).frame.fields, null);
      assert.ok(['response', 'push'].includes(directionOf(type)), `${TYPE_NAMES.get(type)} is ${directionOf(type)}`);
      return;
    }
    assert.equal(v.level, 'body');
    if (v.error === 'UnknownMessageType') {
      assert.equal(directionOf(type), null);
      // The frame is sound; only its type is unknown, so the reader hands it up undecoded.
      const result = tryDecodeFrame(bytes);
      assert.equal(result.frame.typeName, null);
      assert.equal(result.frame.fields, null);
      assert.equal(result.next, bytes.length);
      assert.equal(TYPE_NAMES.has(type), false);
      throwsCode(() => decodeBody(`type${type}`, bytes.subarray(10)), v.error);
      return;
    }
    throwsCode(() => decodeBody(TYPE_NAMES.get(type), bytes.subarray(10)), v.error);
    assert.throws(() => tryDecodeFrame(bytes), (e) => e.code === v.error && e.requestId === new DataView(bytes.buffer).getUint32(6) && e.next === bytes.length);
  });
}

test('frames back to back are read in order through offsets, and a partial tail waits', () => {
  const frames = valid.map((v) => fromHex(v.hex));
  const tail = frames[0].subarray(0, 7);
  const all = concat(...frames, tail);
  let offset = 0;
  for (const v of valid) {
    const result = tryDecodeFrame(all, offset);
    assert.equal(result.frame.typeName, v.type);
    assert.deepStrictEqual(result.frame.fields, v.fields);
    offset = result.next;
  }
  assert.equal(tryDecodeFrame(all, offset), null);
  assert.equal(all.length - offset, tail.length);
});

test('a stream delivered in chunks of any size decodes to the same frames', () => {
  const all = concat(...valid.map((v) => fromHex(v.hex)));
  for (const chunk of [1, 2, 3, 5, 7, 10, 64, 1000]) {
    let pending = new Uint8Array(0);
    const seen = [];
    for (let at = 0; at < all.length; at += chunk) {
      pending = concat(pending, all.subarray(at, at + chunk));
      let offset = 0;
      let result;
      while ((result = tryDecodeFrame(pending, offset))) {
        seen.push(result.frame);
        offset = result.next;
      }
      pending = pending.slice(offset);
    }
    assert.equal(pending.length, 0);
    assert.deepStrictEqual(seen.map((f) => f.fields), valid.map((v) => v.fields));
  }
});

test('an oversized length is refused from the 4 prefix bytes alone', () => {
  const prefix = new Uint8Array(4);
  new DataView(prefix.buffer).setUint32(0, DEFAULT_MAX_FRAME_SIZE - 4 + 1);
  throwsCode(() => tryDecodeFrame(prefix), 'FrameTooLarge');
  assert.equal(tryDecodeFrame(prefix.subarray(0, 3)), null);
  // A smaller configured limit applies too.
  throwsCode(() => tryDecodeFrame(encodeFrame('Joke', 1, { text: 'x'.repeat(100) }), 0, 64), 'FrameTooLarge');
});

test('a frame of exactly the limit is accepted', () => {
  const text = 'x'.repeat(DEFAULT_MAX_FRAME_SIZE - 12);
  const bytes = encodeFrame('Joke', 1, { text });
  assert.equal(bytes.length, DEFAULT_MAX_FRAME_SIZE);
  assert.equal(tryDecodeFrame(bytes).frame.fields.text, text);
  throwsCode(() => tryDecodeFrame(encodeFrame('Joke', 1, { text: `${text}x` })), 'FrameTooLarge');
});

test('a frame inside a larger ArrayBuffer (a subarray view) decodes', () => {
  const v = valid.find((x) => x.name === 'MessagePush');
  const framed = concat(Uint8Array.of(9, 9, 9), fromHex(v.hex), Uint8Array.of(9));
  const view = framed.subarray(3);
  assert.deepStrictEqual(tryDecodeFrame(view).frame.fields, v.fields);
});

test('i64 beyond the JavaScript safe range round-trips as a BigInt', () => {
  const bytes = encodeFrame('FriendRemove', 1, { userId: 0 });
  new DataView(bytes.buffer).setBigInt64(10, 2n ** 53n);
  assert.equal(tryDecodeFrame(bytes).frame.fields.userId, 2n ** 53n);
  new DataView(bytes.buffer).setBigInt64(10, -(2n ** 63n));
  assert.equal(tryDecodeFrame(bytes).frame.fields.userId, -(2n ** 63n));
  new DataView(bytes.buffer).setBigInt64(10, 2n ** 53n - 1n);
  assert.equal(tryDecodeFrame(bytes).frame.fields.userId, Number.MAX_SAFE_INTEGER);
  const messageId = 251572948056408064n;
  const encoded = encodeFrame('Recall', 7, { conversationId: 5, messageId });
  assert.equal(tryDecodeFrame(encoded).frame.fields.messageId, messageId);
  assert.throws(() => encodeFrame('FriendRemove', 1, { userId: 2 ** 53 }), RangeError);
  assert.throws(() => encodeFrame('FriendRemove', 1, { userId: 2n ** 63n }), RangeError);
});

test('encode rejects fields that do not fit their kind', () => {
  assert.throws(() => encodeFrame('FriendRespond', 1, { userId: 1 }), TypeError);
  assert.throws(() => encodeFrame('FriendRespond', 1, { userId: 1, accept: 1 }), TypeError);
  assert.throws(() => encodeFrame('SetStatus', 1, { status: 256 }), RangeError);
  assert.throws(() => encodeFrame('SetStatus', 1, { status: 1.5 }), TypeError);
  assert.throws(() => encodeFrame('Joke', 1, { text: 'x'.repeat(65536) }), RangeError);
  assert.throws(() => encodeFrame('Ping', -1, {}), RangeError);
  throwsCode(() => encodeFrame('NoSuchMessage', 1, {}), 'UnknownMessageType');
});

test('a lone surrogate is sent as U+FFFD, as the C# encoder does', () => {
  const bytes = encodeFrame('Joke', 1, { text: '\uD83D' });
  assert.equal(toHex(bytes.subarray(10)), '0003efbfbd');
});

test('a Send from a writer before attachments ends after mentions and decodes with no attachment', () => {
  const frame = encodeFrame('Send', 7, { kind: 1, targetId: 42, clientMessageId: 9, text: '你好', mentions: [5] });
  // An older client's body: up to mentions, without the empty attachmentId's two length bytes.
  const older = frame.subarray(10, frame.length - 2);
  const fields = decodeBody('Send', older);
  assert.equal(fields.attachmentId, '');
  assert.equal(fields.text, '你好');
  assert.deepEqual(fields.mentions.map(Number), [5]);
  assert.throws(() => decodeBody('Send', frame.subarray(10, frame.length - 3)), (e) => e instanceof ProtocolError && e.code === 'MalformedBody');
});
