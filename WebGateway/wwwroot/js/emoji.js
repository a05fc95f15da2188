// The emoji picker: a grid of buttons that a keyboard moves through with the arrow keys (one tab stop), Enter picks,
// Escape closes and gives focus back to the button that opened it.
import { el } from './dom.js';

export const EMOJI = [
  '😀', '😃', '😄', '😁', '😆', '😅', '😂', '🤣', '😊', '😇', '🙂', '😉', '😍', '🥰', '😘', '😋',
  '😜', '🤪', '🤔', '🤗', '🤭', '😐', '😏', '😴', '😌', '😎', '🥳', '😭', '😢', '😤', '😡', '😱',
  '😳', '🥺', '🙄', '😬', '🤯', '😷', '🤒', '🤝', '👍', '👎', '👏', '🙌', '🙏', '💪', '👌', '✌️',
  '👋', '🤞', '❤️', '💔', '💯', '🔥', '✨', '🎉', '🎂', '🎁', '🌹', '🌞', '🌧️', '☕', '🍵', '🍺',
  '🍜', '🍚', '🥟', '🍉', '🐶', '🐱', '🐼', '🚀', '⚽', '🏀', '📷', '💤', '✅', '❌', '❓', '🆗',
];

const COLUMNS = 8;

/**
 * Builds the picker for `button`; `onPick(emoji)` receives the choice. Returns the panel element (to place in the
 * page) with open()/close().
 */
export function emojiPicker(button, label, onPick) {
  const grid = el('div', { class: 'emoji-grid', role: 'grid', 'aria-label': label });
  const cells = EMOJI.map((emoji, index) => el('button', {
    type: 'button', class: 'emoji-cell', role: 'gridcell', tabindex: index === 0 ? '0' : '-1', 'aria-label': emoji, text: emoji,
    onclick: () => { onPick(emoji); close(); },
  }));
  for (let row = 0; row < cells.length; row += COLUMNS) grid.append(el('div', { role: 'row', class: 'emoji-row' }, cells.slice(row, row + COLUMNS)));
  const panel = el('div', { class: 'emoji-panel', id: 'emoji-picker', hidden: true }, grid);
  let current = 0;

  function focusCell(index) {
    cells[current].tabIndex = -1;
    current = Math.max(0, Math.min(cells.length - 1, index));
    cells[current].tabIndex = 0;
    cells[current].focus();
  }

  grid.addEventListener('keydown', (event) => {
    const moves = { ArrowRight: 1, ArrowLeft: -1, ArrowDown: COLUMNS, ArrowUp: -COLUMNS, Home: -current, End: cells.length - 1 - current };
    if (event.key in moves) {
      event.preventDefault();
      focusCell(current + moves[event.key]);
    } else if (event.key === 'Escape') {
      event.preventDefault();
      close();
      button.focus();
    }
  });

  function open() {
    panel.hidden = false;
    button.setAttribute('aria-expanded', 'true');
    focusCell(current);
  }

  function close() {
    panel.hidden = true;
    button.setAttribute('aria-expanded', 'false');
  }

  button.setAttribute('aria-haspopup', 'true');
  button.setAttribute('aria-expanded', 'false');
  button.setAttribute('aria-controls', 'emoji-picker');
  button.addEventListener('click', () => (panel.hidden ? open() : close()));
  document.addEventListener('pointerdown', (event) => {
    if (!panel.hidden && !panel.contains(event.target) && !button.contains(event.target)) close();
  });
  panel.open = open;
  panel.close = close;
  return panel;
}
