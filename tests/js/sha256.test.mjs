// The page's incremental SHA-256 against node's, for every split of the input the page may produce.
// Run: node --test tests/js/
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { Sha256 } from '../../WebGateway/wwwroot/js/sha256.js';

const reference = (bytes) => createHash('sha256').update(bytes).digest('hex');

test('known digests: empty, "abc" and the two-block NIST message', () => {
  assert.equal(new Sha256().hex(), 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  assert.equal(new Sha256().update(new TextEncoder().encode('abc')).hex(), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  const nist = new TextEncoder().encode('abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq');
  assert.equal(new Sha256().update(nist).hex(), '248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1');
});

test('every length around the block and padding edges matches node', () => {
  const data = randomBytes(300);
  for (let n = 0; n <= 300; n++) assert.equal(new Sha256().update(data.subarray(0, n)).hex(), reference(data.subarray(0, n)), `length ${n}`);
});

test('pieces of any sizes give the digest of the whole', () => {
  const data = new Uint8Array(randomBytes(200_000));
  for (const piece of [1, 7, 63, 64, 65, 1000, 65_480]) {
    const hash = new Sha256();
    for (let at = 0; at < data.length; at += piece) hash.update(data.subarray(at, at + piece));
    assert.equal(hash.hex(), reference(data), `pieces of ${piece}`);
  }
});
