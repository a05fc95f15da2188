// The sign-up field rules, as the page checks them while the user types. They mirror
// Server/Accounts/AccountRules.cs exactly; the server checks again whatever the page said.
// Pure functions, no DOM: tests/js/rules.test.mjs runs them under node.

const USERNAME = /^[A-Za-z\u4e00-\u9fa5][A-Za-z0-9_\u4e00-\u9fa5]{1,9}$/;
const EMAIL = /^[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}$/;
const MAINLAND_MOBILE = /^1[3-9][0-9]{9}$/;
const SEED_PASSWORD = /^(?![0-9]+$)(?![A-Za-z]+$)[0-9A-Za-z]{6,12}$/;
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

export const MAX_NICKNAME_LENGTH = 20;
export const MAX_EMAIL_LENGTH = 100;

export function isUsername(value) {
  return USERNAME.test(value);
}

export function isNickname(value) {
  const trimmed = value.trim();
  return trimmed.length > 0 && trimmed.length <= MAX_NICKNAME_LENGTH && !CONTROL.test(trimmed);
}

export function isEmail(value) {
  return value.length <= MAX_EMAIL_LENGTH && EMAIL.test(value) && !value.includes('..');
}

/**
 * The 11 national digits of a mainland mobile number, or null. Accepts spaces or dashes between digits
 * and the prefixes +86, 86 and 0086, like AccountRules.NormalizePhone.
 */
export function normalizePhone(value) {
  let digits = '';
  let plus = false;
  for (let i = 0; i < value.length; i++) {
    const c = value[i];
    if (c >= '0' && c <= '9') {
      if (digits.length === 20) return null;
      digits += c;
    } else if (c === '+' && i === 0) {
      plus = true;
    } else if (c !== ' ' && c !== '-') {
      return null;
    }
  }
  if (digits.startsWith('0086') && !plus) digits = digits.slice(4);
  else if (digits.startsWith('86') && digits.length === 13) digits = digits.slice(2);
  else if (plus) return null;
  return MAINLAND_MOBILE.test(digits) ? digits : null;
}

/** The seed's policy (default) or "Strong" (8-64 characters, no control characters). */
export function isPassword(value, policy = 'Seed') {
  if (policy.toLowerCase() === 'strong') return value.length >= 8 && value.length <= 64 && !CONTROL.test(value);
  return SEED_PASSWORD.test(value);
}

export function isCode(value) {
  return /^[0-9]{6}$/.test(value.trim());
}

/**
 * Checks one field. `values` holds the form's other values by name (password2 compares with password).
 * @returns {'ok' | 'required' | 'invalid'}
 */
export function checkField(rule, value, values = {}, policy = 'Seed') {
  if (value.trim() === '') return 'required';
  switch (rule) {
    case 'username': return isUsername(value) ? 'ok' : 'invalid';
    case 'nickname': return isNickname(value) ? 'ok' : 'invalid';
    case 'email': return isEmail(value) ? 'ok' : 'invalid';
    case 'phone': return normalizePhone(value) !== null ? 'ok' : 'invalid';
    case 'password': return isPassword(value, policy) ? 'ok' : 'invalid';
    case 'password2': return value === (values.password ?? '') ? 'ok' : 'invalid';
    case 'code': return isCode(value) ? 'ok' : 'invalid';
    default: return 'ok';
  }
}

/** "{n} 秒后重发" → "59 秒后重发". */
export function countdownLabel(template, seconds) {
  return template.replace('{n}', String(seconds));
}
