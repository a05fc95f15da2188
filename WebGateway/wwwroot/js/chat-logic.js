// Pure pieces of the chat app (no DOM), tested by tests/js/chat-logic.test.mjs.

/** ChatMessage.flags (Server/Storage/IMessageStore.cs MessageFlags). */
export const FLAGS = { recalled: 1, system: 2, recallNotice: 4, assistant: 8 };

/** Conversation kinds (Send.kind, OpenConversation.kind). */
export const KIND = { direct: 1, group: 2 };

/** Recall is allowed within 2 minutes of sending (server rule; the button hides after that). */
export const RECALL_WINDOW_MS = 2 * 60 * 1000;

/** The tick under one of my messages in a 1:1 chat, from the peer's markers. */
export function tickFor(seq, peerDeliveredSeq, peerReadSeq) {
  if (seq <= peerReadSeq) return 'read';
  if (seq <= peerDeliveredSeq) return 'delivered';
  return 'sent';
}

export function canRecall(message, myUserId, nowMs) {
  return message.senderId === myUserId
    && (message.flags & (FLAGS.recalled | FLAGS.system | FLAGS.recallNotice | FLAGS.assistant)) === 0
    && nowMs - message.sentAtMs < RECALL_WINDOW_MS;
}

/**
 * A client message id: unique per sender in practice, a safe integer for the i64 field, and the same
 * on a resend of the same message (the caller keeps it), so the server can drop the duplicate.
 */
let lastClientId = 0;
export function newClientMessageId(nowMs = Date.now()) {
  const candidate = nowMs * 1000 + Math.floor(Math.random() * 1000);
  lastClientId = candidate > lastClientId ? candidate : lastClientId + 1;
  return lastClientId;
}

/** The text typed after an "@" that ends at the caret (the mention being typed), or null. */
export function mentionQuery(text, caret) {
  const before = text.slice(0, caret);
  const match = /(^|\s)@([^\s@]*)$/.exec(before);
  return match ? match[2] : null;
}

/** Replaces the "@partial" before the caret with "@name ". Returns {text, caret}. */
export function insertMention(text, caret, name) {
  const before = text.slice(0, caret);
  const at = before.lastIndexOf('@');
  const head = before.slice(0, at) + '@' + name + ' ';
  return { text: head + text.slice(caret), caret: head.length };
}

/**
 * The user ids mentioned in a group message: each candidate ({userId, name}) whose "@name" is in the text
 * as a whole word. userId 0 is @all.
 */
export function mentionIds(text, candidates) {
  const ids = [];
  for (const { userId, name } of candidates) {
    const at = '@' + name;
    let from = 0;
    for (;;) {
      const i = text.indexOf(at, from);
      if (i < 0) break;
      const after = text[i + at.length];
      const before = i === 0 ? ' ' : text[i - 1];
      if ((after === undefined || /\s/.test(after)) && /\s/.test(before)) {
        if (!ids.includes(userId)) ids.push(userId);
        break;
      }
      from = i + 1;
    }
  }
  return ids;
}

/**
 * A group's system notice (flags 2) in words. The server stores it as JSON, {"event","actor","users","name"}
 * (Server/Groups/GroupNotice.cs); `templates` maps each event to a text with {actor}, {users} and {name}.
 * Anything unexpected is shown as it came.
 */
export function describeNotice(text, nameOf, templates) {
  let notice;
  try {
    notice = JSON.parse(text);
  } catch {
    return text;
  }
  const template = notice && typeof notice === 'object' ? templates[notice.event] : undefined;
  if (typeof template !== 'string') return text;
  const users = Array.isArray(notice.users) ? notice.users.map(nameOf).join(templates.separator ?? ', ') : '';
  // One pass with a function: names are user text, so "$&" or "{users}" inside them stay as typed.
  const values = { actor: nameOf(notice.actor), users, name: String(notice.name ?? '') };
  return template.replace(/\{(actor|users|name)\}/g, (_, key) => values[key]);
}

/**
 * The WebSocket close code the gateway's bridge sends when the chat server node under it closed or died
 * (WebGateway/Bridge/WebSocketBridge.cs UpstreamLostCloseStatus, 1012 "Service Restart"): reconnect, the gateway
 * picks a live node.
 */
export const NODE_LOST_CLOSE = 1012;

/** Reconnect backoff bounds: the first retry comes quickly (a lost node is replaced at once), later ones at most every 10 s. */
export const RECONNECT_BASE_MS = 250;
export const RECONNECT_MAX_MS = 10_000;

/**
 * The wait before reconnect attempt `attempt` (1, 2, ...): doubling from RECONNECT_BASE_MS, capped at
 * RECONNECT_MAX_MS, and jittered to between half and all of that, so the browsers of one lost node do not all
 * come back in the same instant.
 */
export function reconnectDelayMs(attempt, random = Math.random) {
  const ceiling = Math.min(RECONNECT_MAX_MS, RECONNECT_BASE_MS * 2 ** Math.max(0, Math.min(attempt - 1, 16)));
  return Math.round(ceiling / 2 + (ceiling / 2) * random());
}

/**
 * Where a message with `seq` goes among the shown messages' seqs (ascending): after every seq not above it.
 * Pushes and catch-up batches can interleave after a reconnect (a live push may overtake the Sync that fills the
 * gap before it), so messages are placed by seq, never simply appended.
 */
export function insertionIndex(seqs, seq) {
  let index = seqs.length;
  while (index > 0 && seqs[index - 1] > seq) index -= 1;
  return index;
}

/**
 * The seq a conversation's catch-up Syncs after: the end of the unbroken run of held seqs that starts at the
 * lowest one held (0 when none is held). Not simply the highest held: after a reconnect a live push can arrive
 * before the catch-up starts, and pushes relayed between nodes can overtake each other, so the highest seq held
 * may sit above a gap. Syncing from below a gap only fetches again what is held, which the page ignores.
 */
export function catchUpAfterSeq(seqs) {
  const held = new Set(seqs);
  if (held.size === 0) return 0;
  let seq = Math.min(...held);
  while (held.has(seq + 1)) seq += 1;
  return seq;
}
