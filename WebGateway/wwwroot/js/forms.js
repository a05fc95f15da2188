// Verify pages: checks each field as the user types (rules.js, the server's own rules and texts) and
// drives the "send code" buttons with their countdown. The server checks every post again.
import { checkField, countdownLabel } from './rules.js';

const csrf = document.querySelector('meta[name="csrf-token"]')?.content ?? '';

function errorSlot(form, name) {
  return form.querySelector(`.field-error[data-for="${name}"]`);
}

function showError(form, input, message) {
  const slot = errorSlot(form, input.name);
  if (slot) slot.textContent = message;
  input.closest('.field')?.classList.toggle('invalid', message !== '');
  if (message) input.setAttribute('aria-invalid', 'true');
  else input.removeAttribute('aria-invalid');
}

function values(form) {
  const out = {};
  for (const input of form.querySelectorAll('input[name]')) out[input.name] = input.value;
  return out;
}

function validate(form, input) {
  const verdict = checkField(input.dataset.rule, input.value, values(form));
  const message = verdict === 'required' ? input.dataset.msgRequired : verdict === 'invalid' ? input.dataset.msg : '';
  showError(form, input, message ?? '');
  return verdict === 'ok';
}

function startCountdown(button, seconds) {
  let left = seconds;
  button.disabled = true;
  button.textContent = countdownLabel(button.dataset.again, left);
  const timer = setInterval(() => {
    left -= 1;
    if (left <= 0) {
      clearInterval(timer);
      button.disabled = false;
      button.textContent = button.dataset.label;
    } else {
      button.textContent = countdownLabel(button.dataset.again, left);
    }
  }, 1000);
}

// When a code went out, per phone, so that a reload within the cooldown can say how long is left (the server's
// refusal only says "too soon").
const SENT_KEY = 'chat.codeSentUntil.';

function cooldownLeft(phone) {
  try {
    const until = Number(localStorage.getItem(SENT_KEY + phone) || 0);
    return Math.max(0, Math.ceil((until - Date.now()) / 1000));
  } catch {
    return 0;
  }
}

function rememberSent(phone, seconds) {
  try { localStorage.setItem(SENT_KEY + phone, String(Date.now() + seconds * 1000)); } catch { /* private mode */ }
}

async function sendCode(form, button) {
  const phone = form.querySelector('input[name="phone"]');
  if (!phone || !validate(form, phone)) {
    phone?.focus();
    return;
  }
  button.disabled = true;
  try {
    const response = await fetch('/verify/send_code', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'X-CSRF-TOKEN': csrf },
      body: JSON.stringify({ phone: phone.value, purpose: Number(button.dataset.sendCode) }),
      credentials: 'same-origin',
    });
    const answer = await response.json();
    if (answer.ok) {
      rememberSent(phone.value.trim(), answer.cooldownSeconds || 60);
      startCountdown(button, answer.cooldownSeconds || 60);
      const slot = errorSlot(form, 'veri_code');
      if (slot) slot.textContent = '';
      button.dataset.state = 'sent';
      return;
    }
    const input = form.querySelector(`input[name="${answer.field || 'phone'}"]`) ?? phone;
    const left = cooldownLeft(phone.value.trim());
    if (left > 0) {
      // Refused because a code went out moments ago: say how long to wait, and count it down on the button.
      showError(form, input, button.dataset.wait.replace('{n}', String(left)));
      startCountdown(button, left);
      return;
    }
    showError(form, input, answer.message);
  } catch {
    showError(form, phone, button.dataset.unavailable);
  }
  button.disabled = false;
}

for (const form of document.querySelectorAll('form[data-validate]')) {
  const inputs = [...form.querySelectorAll('input[data-rule]')];
  for (const input of inputs) {
    input.addEventListener('input', () => {
      input.dataset.touched = '1';
      validate(form, input);
      // Changing the first password re-checks the confirmation once it has been typed.
      if (input.name === 'password') {
        const again = form.querySelector('input[name="password2"]');
        if (again?.dataset.touched) validate(form, again);
      }
    });
    input.addEventListener('blur', () => {
      if (input.dataset.touched) validate(form, input);
    });
  }
  form.addEventListener('submit', (event) => {
    let firstBad = null;
    for (const input of inputs) {
      if (!validate(form, input) && !firstBad) firstBad = input;
    }
    if (firstBad) {
      event.preventDefault();
      firstBad.focus();
    }
  });
  for (const button of form.querySelectorAll('button[data-send-code]')) {
    button.addEventListener('click', () => sendCode(form, button));
  }
}
