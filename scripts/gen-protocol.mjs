// Generates the message code from Protocol/Schema/messages.json, the single source of truth:
//   Protocol/Messages/Messages.g.cs          C# records with exact-size writers and bounds-checked readers
//   Protocol/MessageType.g.cs                the type enum and each type's direction
//   WebGateway/wwwroot/js/schema.g.js        the same schema for the browser codec
//   docs/protocol-messages.g.md              the body layout table included by docs/protocol.md
// Usage: node scripts/gen-protocol.mjs          (write files)
//        node scripts/gen-protocol.mjs --check  (exit 1 when a generated file is stale; run by the tests)
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const schema = JSON.parse(readFileSync(join(root, 'Protocol/Schema/messages.json'), 'utf8'));
const pascal = (s) => s[0].toUpperCase() + s.slice(1);

const primitives = {
  u8: { cs: 'byte', size: 1, write: 'WriteByte', read: 'ReadByte' },
  u16: { cs: 'ushort', size: 2, write: 'WriteUInt16', read: 'ReadUInt16' },
  u32: { cs: 'uint', size: 4, write: 'WriteUInt32', read: 'ReadUInt32' },
  i32: { cs: 'int', size: 4, write: 'WriteInt32', read: 'ReadInt32' },
  i64: { cs: 'long', size: 8, write: 'WriteInt64', read: 'ReadInt64' },
  bool: { cs: 'bool', size: 1, write: 'WriteBoolean', read: 'ReadBoolean' },
  str: { cs: 'string', size: null, write: 'WriteString', read: 'ReadString' },
  bytes: { cs: 'ReadOnlyMemory<byte>', size: null, minSize: 4, write: 'WriteBytes', read: 'ReadBytes' },
};

function parseKind(kind) {
  let m = /^list<(.+)>$/.exec(kind);
  if (m) return { list: parseKind(m[1]) };
  m = /^opt<(.+)>$/.exec(kind);
  if (m) return { opt: parseKind(m[1]) };
  if (primitives[kind]) return { prim: kind };
  if (schema.structs[kind]) return { struct: kind };
  throw new Error(`unknown field kind ${kind}`);
}

function csType(k) {
  if (k.list) return `IReadOnlyList<${csType(k.list)}>`;
  if (k.opt) return `${csType(k.opt)}?`;
  if (k.prim) return primitives[k.prim].cs;
  return k.struct;
}

// Smallest encoded size of one element: used to reject list counts the remaining bytes cannot hold
// before allocating, so a 64 KiB frame can never make the reader allocate more than it carries.
function minSize(k) {
  if (k.prim) return primitives[k.prim].size ?? primitives[k.prim].minSize ?? 2;
  if (k.list) return 2;
  if (k.opt) return 1;
  return schema.structs[k.struct].reduce((n, [, kind]) => n + minSize(parseKind(kind)), 0);
}

function sizeExpr(k, v) {
  if (k.prim === 'bytes') return `(4 + ${v}.Length)`;
  if (k.prim) return primitives[k.prim].size !== null ? `${primitives[k.prim].size}` : `BodyWriter.SizeOf(${v})`;
  if (k.struct) return `${v}.GetSize()`;
  if (k.opt) return `(${v} is null ? 1 : 1 + ${v}.GetSize())`;
  const e = k.list;
  if (e.prim && primitives[e.prim].size !== null) return `(2 + (${primitives[e.prim].size} * ${v}.Count))`;
  return `BodyWriter.SizeOfList(${v}, static x => ${sizeExpr(e, 'x')})`;
}

function writeStmt(k, v) {
  if (k.prim === 'bytes') return `writer.WriteBytes(${v}.Span);`;
  if (k.prim) return `writer.${primitives[k.prim].write}(${v});`;
  if (k.struct) return `${v}.Write(ref writer);`;
  if (k.opt) return `writer.WriteBoolean(${v} is not null);\n            ${v}?.Write(ref writer);`;
  const e = k.list;
  const inner = e.prim ? `writer.${primitives[e.prim].write}(item);` : `item.Write(ref writer);`;
  return `writer.WriteCount(${v}.Count);\n            foreach (var item in ${v})\n            {\n                ${inner}\n            }`;
}

function readExpr(k) {
  if (k.prim) return `reader.${primitives[k.prim].read}()`;
  if (k.struct) return `${k.struct}.Read(ref reader)`;
  if (k.opt) return `reader.ReadBoolean() ? ${k.opt.struct}.Read(ref reader) : null`;
  const e = k.list;
  if (e.prim === 'i64') return 'reader.ReadInt64List()';
  if (e.struct) return `BodyReader.ReadList(ref reader, ${minSize(e)}, static (ref BodyReader r) => ${e.struct}.Read(ref r))`;
  throw new Error(`list<${JSON.stringify(e)}> is not supported; add a reader for it`);
}

function fieldsDoc(fields) {
  return fields.map(([n, k, ...d]) => `${n}: ${k}${d.length ? ` = ${JSON.stringify(d[0])}` : ''}`).join(', ') || '(empty)';
}

// A field's default (the third element in messages.json) as a C# default parameter value. Only fields appended after
// a type shipped have one, so they all come last, where C# allows defaults.
function csDefault(k, value, where) {
  if (value === null && k.opt) return 'null';
  if (typeof value === 'string' && k.prim === 'str') return JSON.stringify(value);
  if (typeof value === 'number' && k.prim && primitives[k.prim].size !== null) return String(value);
  if (typeof value === 'boolean' && k.prim === 'bool') return String(value);
  throw new Error(`${where}: default ${JSON.stringify(value)} does not suit its kind`);
}

function emitType(name, fields, isMessage, doc) {
  const ks = fields.map(([n, k, ...d]) => ({ name: pascal(n), kind: parseKind(k), def: d.length ? csDefault(parseKind(k), d[0], `${name}.${n}`) : null }));
  ks.forEach((f, i) => {
    if (f.def === null && ks.slice(0, i).some((e) => e.def !== null)) throw new Error(`${name}.${f.name}: a field without a default follows one with a default`);
  });
  const params = ks.map((f) => `${csType(f.kind)} ${f.name}${f.def !== null ? ` = ${f.def}` : ''}`).join(', ');
  const size = ks.length ? ks.map((f) => sizeExpr(f.kind, f.name)).join(' + ') : '0';
  const writes = ks.map((f) => `            ${writeStmt(f.kind, f.name)}`).join('\n');
  // A message's field appended after it shipped is read only when the body has bytes left: a writer from before the
  // field existed ends the body there, and the field takes its default. (Inside a struct the end is not known.)
  const reads = ks.map((f) => (isMessage && f.def !== null ? `reader.Remaining == 0 ? ${f.def} : ${readExpr(f.kind)}` : readExpr(f.kind))).join(', ');
  const iface = isMessage ? `IWireMessage<${name}>` : `IWireStruct<${name}>`;
  const lines = [];
  lines.push(`    /// <summary>${doc ? escapeXml(doc) + ' ' : ''}Body: ${escapeXml(fieldsDoc(fields))}.</summary>`);
  lines.push(`    public sealed partial record ${name}(${params}) : ${iface}`);
  lines.push('    {');
  if (isMessage) {
    lines.push(`        public static MessageType Type => MessageType.${name};`);
    lines.push('');
  }
  lines.push(`        public int ${isMessage ? 'GetBodySize' : 'GetSize'}() => ${size};`);
  lines.push('');
  lines.push(`        public void ${isMessage ? 'WriteBody' : 'Write'}(ref BodyWriter writer)`);
  lines.push('        {');
  if (writes) lines.push(writes);
  lines.push('        }');
  lines.push('');
  lines.push(`        public static ${name} ${isMessage ? 'ReadBody' : 'Read'}(ref BodyReader reader) => new(${reads});`);
  lines.push('    }');
  return lines.join('\n');
}

function escapeXml(s) {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

const header = '// <auto-generated>\n// Generated by scripts/gen-protocol.mjs from Protocol/Schema/messages.json. Do not edit by hand.\n// </auto-generated>\n';

const cs = [header, '#nullable enable', 'namespace Chat.Protocol.Messages', '{', '    using Chat.Protocol;', ''];
const blocks = [];
for (const [name, fields] of Object.entries(schema.structs)) blocks.push(emitType(name, fields, false, null));
for (const m of schema.messages) blocks.push(emitType(m.name, m.fields, true, m.doc));
cs.push(blocks.join('\n\n'));
cs.push('');
cs.push('    /// <summary>Decodes any known body by its type: for clients, tests and tools (servers decode the type they expect).</summary>');
cs.push('    public static class WireMessages');
cs.push('    {');
cs.push('        /// <summary>The decoded body, or null when the type is unknown.</summary>');
cs.push('        public static object? Decode(MessageType type, in System.Buffers.ReadOnlySequence<byte> body) => type switch');
cs.push('        {');
for (const m of schema.messages) cs.push(`            MessageType.${m.name} => FrameCodec.Decode<${m.name}>(body),`);
cs.push('            _ => null,');
cs.push('        };');
cs.push('');
cs.push('        /// <summary>Serializes a decoded body back into a whole frame; null when the object is not a message.</summary>');
cs.push('        public static byte[]? Serialize(uint requestId, object message) => message switch');
cs.push('        {');
for (const m of schema.messages) cs.push(`            ${m.name} m => FrameCodec.Serialize(requestId, m),`);
cs.push('            _ => null,');
cs.push('        };');
cs.push('    }');
cs.push('}');
cs.push('');

const en = [header, 'namespace Chat.Protocol;', '', '/// <summary>Every frame type on the wire; the high byte is the feature, the low byte the message.</summary>', 'public enum MessageType : ushort', '{'];
for (const m of schema.messages) {
  en.push(`    /// <summary>${escapeXml(m.doc)}</summary>`);
  en.push(`    ${m.name} = ${m.code},`);
}
en.push('}', '');

// Who may send each type: a server answers a client's response or push type with UnexpectedMessage, and a type
// outside the table with UnknownMessageType (docs/protocol.md section 4).
const directions = { request: 'Request', response: 'Response', push: 'Push' };
for (const m of schema.messages) {
  if (!directions[m.dir]) throw new Error(`${m.name}: dir must be request, response or push, not ${m.dir}`);
}
en.push('/// <summary>The direction of each message type, from the "dir" of messages.json.</summary>', 'public static class MessageTypes', '{');
en.push('    /// <summary>Request (client to server), Response or Push (server to client), or Unknown for a type not in the table.</summary>');
en.push('    public static MessageDirection DirectionOf(MessageType type) => type switch', '    {');
for (const [dir, cs] of Object.entries(directions)) {
  const names = schema.messages.filter((m) => m.dir === dir).map((m) => `MessageType.${m.name}`);
  en.push(`        ${names.join('\n            or ')} => MessageDirection.${cs},`);
}
en.push('        _ => MessageDirection.Unknown,', '    };', '}', '');

const js = [header.replace(/\n\/\/ /g, '\n// '), '// Field kinds: u8 u16 u32 i32 i64 (BigInt-free: JS numbers, safe to 2^53) bool str bytes (Uint8Array), a struct name, list<kind>, opt<struct>.',
  '// A third element of a field is its default: the encoder uses it when the field is missing.',
  `export const STRUCTS = ${JSON.stringify(schema.structs, null, 2)};`, '',
  `export const MESSAGES = ${JSON.stringify(Object.fromEntries(schema.messages.map((m) => [m.name, { code: Number(m.code), dir: m.dir, fields: m.fields }])), null, 2)};`, ''];

const md = ['<!-- Generated by scripts/gen-protocol.mjs from Protocol/Schema/messages.json. Do not edit by hand. -->', '',
  '| type | name | direction | body fields (in order) | meaning |', '|---|---|---|---|---|'];
for (const m of schema.messages) md.push(`| \`${m.code}\` | ${m.name} | ${m.dir} | ${fieldsDoc(m.fields).replace(/\|/g, '\\|')} | ${m.doc} |`);
md.push('', '| struct | fields (in order) |', '|---|---|');
for (const [name, fields] of Object.entries(schema.structs)) md.push(`| ${name} | ${fieldsDoc(fields)} |`);
md.push('');

const outputs = {
  'Protocol/Messages/Messages.g.cs': cs.join('\n'),
  'Protocol/MessageType.g.cs': en.join('\n'),
  'WebGateway/wwwroot/js/schema.g.js': js.join('\n'),
  'docs/protocol-messages.g.md': md.join('\n'),
};

const check = process.argv.includes('--check');
let stale = 0;
for (const [rel, text] of Object.entries(outputs)) {
  const path = join(root, rel);
  const current = existsSync(path) ? readFileSync(path, 'utf8') : null;
  if (current === text) continue;
  if (check) {
    console.error(`stale: ${rel} (run node scripts/gen-protocol.mjs)`);
    stale++;
  } else {
    writeFileSync(path, text);
    console.log(`wrote ${rel}`);
  }
}
process.exit(stale ? 1 : 0);
