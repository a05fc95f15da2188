// Small DOM helpers for the chat app. Every piece of user-provided text goes in as a text node (never as HTML).

/** Builds an element; string children become text nodes. Attributes: on* add listeners, class, text, the rest set as attributes. */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith('on')) node.addEventListener(key.slice(2), value);
    else if (key === 'class') node.className = value;
    else if (key === 'text') node.textContent = value;
    else node.setAttribute(key, value === true ? '' : String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(typeof child === 'string' || typeof child === 'number' ? document.createTextNode(String(child)) : child);
  }
  return node;
}

/**
 * Makes `parent`'s children show `items` in order, reusing the element already shown for an item's key (created by
 * `create(item)` the first time, brought up to date by `update(node, item)` every time). Reused elements keep
 * focus, hover and scroll; an element is only moved when the order really changed.
 */
export function reconcile(parent, items, keyOf, create, update) {
  const existing = new Map();
  for (const child of [...parent.children]) {
    if (child.dataset.key !== undefined) existing.set(child.dataset.key, child);
    else child.remove();
  }
  let cursor = parent.firstElementChild;
  for (const item of items) {
    const key = String(keyOf(item));
    let node = existing.get(key);
    if (node) existing.delete(key);
    else {
      node = create(item);
      node.dataset.key = key;
    }
    update(node, item);
    if (node !== cursor) parent.insertBefore(node, cursor);
    else cursor = cursor.nextElementSibling;
  }
  for (const stale of existing.values()) stale.remove();
}

/** Sets a text only when it changed (no needless mutations for screen readers and observers). */
export function setText(node, text) {
  if (node.textContent !== text) node.textContent = text;
}

/** A message next to the control that caused it; cleared after a while unless `sticky`. */
export function say(slot, text, { sticky = false, ok = false } = {}) {
  slot.textContent = text || '';
  slot.classList.toggle('ok', ok);
  clearTimeout(slot.sayTimer);
  if (text && !sticky) slot.sayTimer = setTimeout(() => { if (slot.textContent === text) slot.textContent = ''; }, 8000);
}
