// The page's field rules must agree with Server/Accounts/AccountRules.cs (the server checks again).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isUsername, isNickname, isEmail, normalizePhone, isPassword, isCode, checkField, countdownLabel } from '../../WebGateway/wwwroot/js/rules.js';

test('username: 2-10 letters, digits, underscore or CJK, starting with a letter or CJK', () => {
  for (const ok of ['ab', 'a1', '张三', '张_3', 'abcdefghij', 'A_b_C']) assert.equal(isUsername(ok), true, ok);
  for (const bad of ['a', '1ab', '_ab', 'abcdefghijk', 'a b', 'a-b', '', 'ab!']) assert.equal(isUsername(bad), false, bad);
});

test('nickname: 1-20 characters after trimming, no control characters', () => {
  assert.equal(isNickname('小明'), true);
  assert.equal(isNickname('   '), false);
  assert.equal(isNickname('x'.repeat(21)), false);
  assert.equal(isNickname('a\u0007b'), false);
});

test('email: one @, a dotted domain, no double dots, at most 100 characters', () => {
  assert.equal(isEmail('a.b@example.com'), true);
  for (const bad of ['a@b', 'ab.com', 'a..b@example.com', 'a b@example.com', `${'a'.repeat(95)}@x.com`]) assert.equal(isEmail(bad), false, bad);
});

test('phone: mainland mobile numbers, with separators and +86/86/0086 prefixes', () => {
  assert.equal(normalizePhone('13812345678'), '13812345678');
  assert.equal(normalizePhone('138 1234 5678'), '13812345678');
  assert.equal(normalizePhone('138-1234-5678'), '13812345678');
  assert.equal(normalizePhone('+8613812345678'), '13812345678');
  assert.equal(normalizePhone('8613812345678'), '13812345678');
  assert.equal(normalizePhone('008613812345678'), '13812345678');
  for (const bad of ['12812345678', '1381234567', '+13812345678', '138x2345678', '']) assert.equal(normalizePhone(bad), null, bad);
});

test('password (seed policy): 6-12 letters and digits, not all digits, not all letters', () => {
  for (const ok of ['abc123', 'A1b2C3d4E5f6']) assert.equal(isPassword(ok), true, ok);
  for (const bad of ['abc12', 'abcdefgh', '12345678', 'abc123!', 'abcdefg1234567']) assert.equal(isPassword(bad), false, bad);
  assert.equal(isPassword('longer passphrase!', 'Strong'), true);
  assert.equal(isPassword('short', 'Strong'), false);
});

test('code: six digits', () => {
  assert.equal(isCode('123456'), true);
  assert.equal(isCode(' 123456 '), true);
  assert.equal(isCode('12345'), false);
  assert.equal(isCode('12345a'), false);
});

test('checkField: required first, then the rule; password2 must equal password', () => {
  assert.equal(checkField('username', ''), 'required');
  assert.equal(checkField('username', '1x'), 'invalid');
  assert.equal(checkField('password2', 'abc123', { password: 'abc123' }), 'ok');
  assert.equal(checkField('password2', 'abc124', { password: 'abc123' }), 'invalid');
  assert.equal(checkField('required', 'anything'), 'ok');
});

test('countdown label fills in the seconds', () => {
  assert.equal(countdownLabel('{n} 秒后重发', 59), '59 秒后重发');
  assert.equal(countdownLabel('Resend in {n}s', 3), 'Resend in 3s');
});
