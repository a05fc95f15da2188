// The browser's codec for the binary chat protocol (docs/protocol.md), driven by the generated schema.g.js.
// No dependencies; runs in browsers and in node >= 20. It must agree byte for byte with the C# codec:
// both pass docs/protocol-vectors.json (tests/js/codec.test.mjs, tests/Protocol.Tests).
//
// Frame: u32 length (big-endian, counts the bytes after itself), u16 type, u32 request id, body.
// Body: the message's fields in schema order. u8 u16 u32 i32 i64 big-endian; bool one byte 0 or 1;
// str = u16 byte length + UTF-8; bytes = u32 length + the bytes (a Uint8Array in JS); list<K> = u16 count + elements;
// opt<S> = bool present + S.
import { MESSAGES, STRUCTS } from './schema.g.js';

/** Frame size limit when none is given: 64 KiB, the length prefix included. */
export const DEFAULT_MAX_FRAME_SIZE = 64 * 1024;
/** Length prefix (4) + type (2) + request id (4). */
export const HEADER_SIZE = 10;
/** The protocol version this codec speaks (Hello.version). */
export const PROTOCOL_VERSION = 1;

const LENGTH_PREFIX_SIZE = 4;
const MIN_LENGTH = HEADER_SIZE - LENGTH_PREFIX_SIZE;
const MAX_U16 = 0xffff;

/**
 * Malformed input. `code` is an ErrorCode name from Protocol/ErrorCode.cs: MalformedFrame, FrameTooLarge
 * (frame level: the stream cannot continue), MalformedBody or UnknownMessageType (body level). A body-level
 * error raised by tryDecodeFrame also carries `type`, `requestId` and `next`, so a caller can answer the
 * request with an Error frame.
 */
export class ProtocolError extends Error {
  constructor(code, message, details = {}) {
    super(message);
    this.name = 'ProtocolError';
    this.code = code;
    Object.assign(this, details);
  }
}

/** Message name by numeric type. */
export const TYPE_NAMES = new Map(Object.entries(MESSAGES).map(([name, m]) => [m.code, name]));

/**
 * Who sends a message type: 'request' (client to server), 'response' or 'push' (server to client), or null for a
 * type not in the schema. A server answers a client's response or push type with Error UnexpectedMessage and an
 * unknown type with UnknownMessageType, the frame's request id echoed either way (docs/protocol.md section 4).
 * @param {number} type the frame's numeric type
 */
export function directionOf(type) {
  const name = TYPE_NAMES.get(type);
  return name === undefined ? null : MESSAGES[name].dir;
}

const FIXED = { u8: 1, u16: 2, u32: 4, i32: 4, i64: 8, bool: 1 };
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);
const MIN_SAFE = BigInt(Number.MIN_SAFE_INTEGER);
const MAX_I64 = 2n ** 63n - 1n;
const MIN_I64 = -(2n ** 63n);
const kinds = new Map();

// "list<opt<X>>" → {list: {opt: {struct: 'X'}}}; parsed once per distinct kind string.
function kindOf(text) {
  let k = kinds.get(text);
  if (k) return k;
  let m;
  if ((m = /^list<(.+)>$/.exec(text))) k = { list: kindOf(m[1]) };
  else if ((m = /^opt<(.+)>$/.exec(text))) k = { opt: kindOf(m[1]) };
  else if (text in FIXED || text === 'str' || text === 'bytes') k = { prim: text };
  else if (STRUCTS[text]) k = { struct: text };
  else throw new Error(`schema: unknown field kind ${text}`);
  kinds.set(text, k);
  return k;
}

// Smallest encoding of one element, to refuse list counts the remaining bytes cannot hold before
// allocating anything (the same rule as the C# reader).
function minSize(k) {
  if (k.prim) return FIXED[k.prim] ?? (k.prim === 'bytes' ? 4 : 2);
  if (k.list) return 2;
  if (k.opt) return 1;
  return STRUCTS[k.struct].reduce((n, [, kind]) => n + minSize(kindOf(kind)), 0);
}

const utf8Encoder = new TextEncoder();
// fatal: invalid UTF-8 is an error, as in the C# reader. ignoreBOM: a leading U+FEFF is text, not a marker
// to strip (the C# reader keeps it too).
const utf8Decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

// ---------------------------------------------------------------------------------------------- encoding

class Writer {
  constructor() {
    this.bytes = new Uint8Array(256);
    this.view = new DataView(this.bytes.buffer);
    this.pos = 0;
  }

  reserve(n) {
    if (this.pos + n <= this.bytes.length) return;
    let size = this.bytes.length * 2;
    while (size < this.pos + n) size *= 2;
    const bigger = new Uint8Array(size);
    bigger.set(this.bytes.subarray(0, this.pos));
    this.bytes = bigger;
    this.view = new DataView(bigger.buffer);
  }

  raw(bytes) {
    this.reserve(bytes.length);
    this.bytes.set(bytes, this.pos);
    this.pos += bytes.length;
  }

  prim(kind, value, path) {
    if (kind === 'str') {
      if (typeof value !== 'string') throw new TypeError(`${path}: expected a string`);
      const bytes = utf8Encoder.encode(value);
      if (bytes.length > MAX_U16) throw new RangeError(`${path}: a string holds at most 65535 UTF-8 bytes`);
      this.prim('u16', bytes.length, path);
      this.raw(bytes);
      return;
    }
    if (kind === 'bytes') {
      if (!(value instanceof Uint8Array)) throw new TypeError(`${path}: expected a Uint8Array`);
      this.prim('u32', value.length, path);
      this.raw(value);
      return;
    }
    if (kind === 'bool') {
      if (typeof value !== 'boolean') throw new TypeError(`${path}: expected a boolean`);
      this.reserve(1);
      this.bytes[this.pos++] = value ? 1 : 0;
      return;
    }
    if (kind === 'i64' && typeof value === 'bigint') {
      if (value > MAX_I64 || value < MIN_I64) throw new RangeError(`${path}: ${value} does not fit in an i64`);
      this.reserve(8);
      this.view.setBigInt64(this.pos, value);
      this.pos += 8;
      return;
    }
    if (typeof value !== 'number' || !Number.isInteger(value)) throw new TypeError(`${path}: expected an integer`);
    this.reserve(FIXED[kind]);
    const v = this.view;
    const p = this.pos;
    switch (kind) {
      case 'u8': check(value, 0, 0xff, path); v.setUint8(p, value); break;
      case 'u16': check(value, 0, MAX_U16, path); v.setUint16(p, value); break;
      case 'u32': check(value, 0, 0xffffffff, path); v.setUint32(p, value); break;
      case 'i32': check(value, -0x80000000, 0x7fffffff, path); v.setInt32(p, value); break;
      case 'i64': check(value, Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER, path); v.setBigInt64(p, BigInt(value)); break;
      default: throw new Error(`schema: unknown primitive ${kind}`);
    }
    this.pos += FIXED[kind];
  }

  value(k, value, path) {
    if (k.prim) return this.prim(k.prim, value, path);
    if (k.struct) return this.fields(STRUCTS[k.struct], value, path);
    if (k.opt) {
      const present = value !== null && value !== undefined;
      this.prim('bool', present, path);
      if (present) this.value(k.opt, value, path);
      return undefined;
    }
    if (!Array.isArray(value)) throw new TypeError(`${path}: expected an array`);
    if (value.length > MAX_U16) throw new RangeError(`${path}: a list holds at most 65535 items`);
    this.prim('u16', value.length, path);
    value.forEach((item, i) => this.value(k.list, item, `${path}[${i}]`));
    return undefined;
  }

  fields(schemaFields, obj, path) {
    if (obj === null || typeof obj !== 'object') throw new TypeError(`${path}: expected an object`);
    for (const [name, kind, ...defaults] of schemaFields) {
      const k = kindOf(kind);
      // A field appended after its type shipped has a default (messages.json): callers may leave it out.
      const value = obj[name] === undefined && defaults.length ? defaults[0] : obj[name];
      if (value === undefined && !k.opt) throw new TypeError(`${path}.${name}: missing`);
      this.value(k, value, `${path}.${name}`);
    }
  }
}

function check(value, min, max, path) {
  if (value < min || value > max) throw new RangeError(`${path}: ${value} is outside ${min}..${max}`);
}

function messageOf(typeName) {
  const m = Object.hasOwn(MESSAGES, typeName) ? MESSAGES[typeName] : undefined;
  if (!m) throw new ProtocolError('UnknownMessageType', `unknown message type ${typeName}`);
  return m;
}

/**
 * Encodes a whole frame. `fields` uses the camelCase names of messages.json; i64 values are JS numbers within
 * the safe integer range or BigInts (any i64); opt fields are null (or absent) when missing.
 * @returns {Uint8Array}
 */
export function encodeFrame(typeName, requestId, fields = {}) {
  const m = messageOf(typeName);
  const w = new Writer();
  w.reserve(HEADER_SIZE);
  w.pos = HEADER_SIZE;
  w.fields(m.fields, fields, typeName);
  check(requestId, 0, 0xffffffff, 'requestId');
  w.view.setUint32(0, w.pos - LENGTH_PREFIX_SIZE);
  w.view.setUint16(4, m.code);
  w.view.setUint32(6, requestId);
  return w.bytes.slice(0, w.pos);
}

// ---------------------------------------------------------------------------------------------- decoding

class Reader {
  constructor(bytes) {
    this.bytes = bytes;
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.pos = 0;
  }

  need(n) {
    if (n > this.bytes.length - this.pos) throw new ProtocolError('MalformedBody', 'the body ends before its last field');
  }

  prim(kind) {
    if (kind === 'str') {
      const length = this.prim('u16');
      this.need(length);
      const slice = this.bytes.subarray(this.pos, this.pos + length);
      this.pos += length;
      try {
        return utf8Decoder.decode(slice);
      } catch {
        throw new ProtocolError('MalformedBody', 'a string field is not valid UTF-8');
      }
    }
    if (kind === 'bytes') {
      const length = this.prim('u32');
      this.need(length);
      // A copy: the frame's buffer belongs to the connection and is reused.
      const bytes = this.bytes.slice(this.pos, this.pos + length);
      this.pos += length;
      return bytes;
    }
    const size = FIXED[kind];
    this.need(size);
    const v = this.view;
    const p = this.pos;
    this.pos += size;
    switch (kind) {
      case 'u8': return v.getUint8(p);
      case 'u16': return v.getUint16(p);
      case 'u32': return v.getUint32(p);
      case 'i32': return v.getInt32(p);
      case 'bool': {
        const b = v.getUint8(p);
        if (b > 1) throw new ProtocolError('MalformedBody', 'a boolean field must be 0 or 1');
        return b === 1;
      }
      case 'i64': {
        // Sequence numbers, user ids and times fit a JS number exactly; message ids (time-ordered, 63 bits)
        // do not, so a value beyond ±(2^53 - 1) comes back as a BigInt rather than a rounded number.
        const big = v.getBigInt64(p);
        return big > MAX_SAFE || big < MIN_SAFE ? big : Number(big);
      }
      default: throw new Error(`schema: unknown primitive ${kind}`);
    }
  }

  value(k) {
    if (k.prim) return this.prim(k.prim);
    if (k.struct) return this.fields(STRUCTS[k.struct]);
    if (k.opt) return this.prim('bool') ? this.value(k.opt) : null;
    const count = this.prim('u16');
    if (count * minSize(k.list) > this.bytes.length - this.pos) {
      throw new ProtocolError('MalformedBody', 'a list is longer than the body that carries it');
    }
    const items = new Array(count);
    for (let i = 0; i < count; i++) items[i] = this.value(k.list);
    return items;
  }

  fields(schemaFields, defaultsAtEnd = false) {
    const obj = {};
    for (const [name, kind, ...defaults] of schemaFields) {
      // A message's field appended after it shipped: a body that ends before it came from an older writer.
      obj[name] = defaultsAtEnd && defaults.length && this.pos === this.bytes.length ? defaults[0] : this.value(kindOf(kind));
    }
    return obj;
  }
}

/**
 * Decodes a body (the bytes after the 10-byte header) as `typeName`. Trailing bytes after the last known
 * field are ignored: later versions may append fields. A body that ends before a field with a default (one
 * appended after the type shipped) gives that field its default: earlier versions did not write it.
 * @throws {ProtocolError} MalformedBody, or UnknownMessageType for a name not in the schema.
 */
export function decodeBody(typeName, bytes) {
  return new Reader(bytes).fields(messageOf(typeName).fields, true);
}

/**
 * Reads one frame starting at `offset`. Returns null when more bytes are needed, otherwise
 * `{frame: {type, typeName, requestId, fields}, next}` where `next` is the offset after the frame. A type
 * not in the schema gives `typeName: null, fields: null` (the stream itself is intact). The length is
 * checked against `maxFrameSize` as soon as its 4 bytes are there, before the body arrives.
 * @throws {ProtocolError} MalformedFrame / FrameTooLarge (the stream is unusable), MalformedBody.
 */
export function tryDecodeFrame(bytes, offset = 0, maxFrameSize = DEFAULT_MAX_FRAME_SIZE) {
  const available = bytes.length - offset;
  if (available < LENGTH_PREFIX_SIZE) return null;
  const view = new DataView(bytes.buffer, bytes.byteOffset + offset, available);
  const length = view.getUint32(0);
  if (length < MIN_LENGTH) {
    throw new ProtocolError('MalformedFrame', `frame length ${length} is shorter than the ${MIN_LENGTH}-byte header`);
  }
  if (length > maxFrameSize - LENGTH_PREFIX_SIZE) {
    throw new ProtocolError('FrameTooLarge', `frame of ${length + LENGTH_PREFIX_SIZE} bytes exceeds the limit of ${maxFrameSize}`);
  }
  if (available < LENGTH_PREFIX_SIZE + length) return null;
  const type = view.getUint16(4);
  const requestId = view.getUint32(6);
  const next = offset + LENGTH_PREFIX_SIZE + length;
  const typeName = TYPE_NAMES.get(type) ?? null;
  let fields = null;
  if (typeName !== null) {
    try {
      fields = decodeBody(typeName, bytes.subarray(offset + HEADER_SIZE, next));
    } catch (e) {
      if (e instanceof ProtocolError) Object.assign(e, { type, typeName, requestId, next });
      throw e;
    }
  }
  return { frame: { type, typeName, requestId, fields }, next };
}
