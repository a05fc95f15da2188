// Seeds the fuzz corpus tests/Protocol.Tests/FuzzCorpus/*.bin from docs/protocol-vectors.json: one file per
// vector (valid frames of every message type, and the invalid ones), plus a few streams of several frames
// back to back. The fuzz tests (tests/Protocol.Tests/CorpusFuzzTests.cs) mutate these; files added by hand
// (a frame that once broke something) are kept: this script only writes files whose name starts with "v" or "s".
// Usage: node scripts/seed-fuzz-corpus.mjs
import { readFileSync, writeFileSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dir = join(root, 'tests/Protocol.Tests/FuzzCorpus');
mkdirSync(dir, { recursive: true });
for (const f of readdirSync(dir)) {
  if (/^[vs]\d{3}-.*\.bin$/.test(f)) rmSync(join(dir, f));
}

const vectors = JSON.parse(readFileSync(join(root, 'docs/protocol-vectors.json'), 'utf8'));
const slug = (s) => s.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '').slice(0, 50);
const pad = (n) => String(n).padStart(3, '0');
vectors.forEach((v, i) => writeFileSync(join(dir, `v${pad(i)}-${slug(v.name)}.bin`), Buffer.from(v.hex, 'hex')));

// Streams: what a real client writes in one go (several frames, so the frame reader loops).
const byName = Object.fromEntries(vectors.map((v) => [v.name, Buffer.from(v.hex, 'hex')]));
const valid = vectors.filter((v) => v.fields).map((v) => Buffer.from(v.hex, 'hex'));
const streams = [
  valid.slice(0, 8),
  valid.filter((_, i) => i % 3 === 0),
  valid.filter((_, i) => i % 5 === 1),
  [...valid].reverse().slice(0, 10),
  [byName['Hello'], byName['Ping'], byName['Ping']],
];
streams.forEach((frames, i) => writeFileSync(join(dir, `s${pad(i)}-stream-of-${frames.length}-frames.bin`), Buffer.concat(frames)));
console.log(`${vectors.length} vector files and ${streams.length} streams in ${dir}`);
