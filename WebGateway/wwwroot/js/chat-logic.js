// Pure pieces of the chat app (no DOM), tested by tests/js/chat-logic.test.mjs.
import { attachmentPreview } from './attachments.js';

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

// ------------------------------------------------------------------------------------------- recent chats

/**
 * The recent-chats order: most recent message first, conversations without a message last, ties by id. Only a
 * message moves an entry (presence, reads and typing do not), so the list never shifts under the pointer.
 */
export function recentOrder(conversations) {
  const activity = (c) => c.lastMessage?.sentAtMs ?? 0;
  // Within one millisecond, the server's own order: message ids grow with time (and may be BigInts, so compare).
  const id = (c) => c.lastMessage?.messageId ?? 0;
  const byId = (a, b) => (id(a) > id(b) ? -1 : id(a) < id(b) ? 1 : 0);
  return [...conversations].sort((a, b) => activity(b) - activity(a) || byId(a, b) || b.conversationId - a.conversationId);
}

/**
 * A conversation's route in the page's URL (its fragment): "#/u/<userId>" for a direct chat, "#/g/<groupId>" for
 * a group. parseRoute gives {kind, targetId} or null.
 */
export function routeOf(kind, targetId) {
  return `#/${kind === KIND.group ? 'g' : 'u'}/${targetId}`;
}

export function parseRoute(hash) {
  const match = /^#\/([ug])\/(\d{1,18})$/.exec(hash || '');
  if (!match) return null;
  const targetId = Number(match[2]);
  return Number.isSafeInteger(targetId) && targetId > 0 ? { kind: match[1] === 'g' ? KIND.group : KIND.direct, targetId } : null;
}

/** The key a conversation's draft is kept under (per signed-in user: two accounts in one browser keep apart). */
export function draftKey(userId, kind, targetId) {
  return `chat.draft.${userId}.${kind}.${targetId}`;
}

/** Unread messages across conversations, leaving out the one being read (open and visible). */
export function totalUnread(conversations, readingConversationId) {
  let total = 0;
  for (const c of conversations) if (c.conversationId !== readingConversationId) total += Math.max(0, Number(c.unread) || 0);
  return total;
}

/** The tab title: "(3) base" while anything is unread, else the base title. */
export function titleWithUnread(base, unread) {
  return unread > 0 ? `(${unread > 99 ? '99+' : unread}) ${base}` : base;
}

/**
 * A conversation after one of my own devices read it up to seq: unread falls to what lies beyond seq, which is
 * only known exactly when seq reaches the last message (then 0); otherwise `exact` is false and the caller asks the
 * server for fresh counts.
 */
export function afterOwnRead(conv, seq) {
  const readSeq = Math.max(conv.readSeq || 0, seq);
  if (readSeq >= (conv.lastSeq || 0)) return { conv: { ...conv, readSeq, unread: 0, mentionCount: 0 }, exact: true };
  return { conv: { ...conv, readSeq }, exact: false };
}

/** Up to two letters (or one Chinese character) for an avatar, from a display name. */
export function initials(name) {
  const text = String(name || '').trim();
  if (!text) return '?';
  const first = [...text][0];
  if (/[\u4e00-\u9fff]/.test(first)) return first;
  const words = text.split(/[\s_]+/).filter(Boolean);
  const letters = words.length > 1 ? [...words[0]][0] + [...words[1]][0] : [...text].slice(0, 2).join('');
  return letters.toUpperCase();
}

/** A stable colour index (0-7) for an avatar, from a user or group id. */
export function avatarHue(id) {
  return Math.abs(Number(id) || 0) % 8;
}

/** The local calendar day of a time, as "YYYY-MM-DD" (date separators split on it). */
export function dayKey(ms) {
  const d = new Date(ms);
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
}

/** Consecutive messages that read as one run: same sender, same day, at most 5 minutes apart, neither a notice. */
export const RUN_GAP_MS = 5 * 60 * 1000;

export function continuesRun(previous, message) {
  if (!previous || !message) return false;
  const notice = (m) => (m.flags & (FLAGS.system | FLAGS.recallNotice)) !== 0;
  return !notice(previous) && !notice(message)
    && previous.senderId === message.senderId
    && ((previous.flags & FLAGS.assistant) === (message.flags & FLAGS.assistant))
    && message.sentAtMs - previous.sentAtMs <= RUN_GAP_MS
    && dayKey(previous.sentAtMs) === dayKey(message.sentAtMs);
}

/** "today", "yesterday" or the date, for a date separator; `t` holds the words. */
export function dayLabel(ms, nowMs, language, t) {
  const key = dayKey(ms);
  if (key === dayKey(nowMs)) return t.today;
  if (key === dayKey(nowMs - 86_400_000)) return t.yesterday;
  const d = new Date(ms);
  const sameYear = d.getFullYear() === new Date(nowMs).getFullYear();
  return d.toLocaleDateString(language, sameYear ? { month: 'long', day: 'numeric', weekday: 'short' } : { year: 'numeric', month: 'long', day: 'numeric' });
}

/** The short time in the recent-chats list: the hour today, "yesterday", else the date. */
export function listTime(ms, nowMs, language, t) {
  if (!ms) return '';
  const key = dayKey(ms);
  if (key === dayKey(nowMs)) return new Date(ms).toLocaleTimeString(language, { hour: '2-digit', minute: '2-digit' });
  if (key === dayKey(nowMs - 86_400_000)) return t.yesterday;
  return new Date(ms).toLocaleDateString(language, { month: 'numeric', day: 'numeric' });
}

/**
 * One line of preview for a message in the recent-chats list. `nameOf(userId)` names people, `myUserId` is who
 * reads; in groups the sender's name comes first.
 */
export function previewOf(message, { myUserId, group, nameOf, t }) {
  if (!message) return '';
  const mine = message.senderId === myUserId && !(message.flags & FLAGS.assistant);
  if (message.flags & (FLAGS.recalled | FLAGS.recallNotice)) return recalledText(mine, nameOf(message.senderId), t);
  if (message.flags & FLAGS.system) return describeNotice(message.text, nameOf, t.notice);
  let text = String(message.text).replace(/\s+/g, ' ').trim();
  if (message.attachment) {
    const what = attachmentPreview(message.attachment, t);
    text = text ? `${what} ${text}` : what;
  }
  if (mine) return `${t.you}: ${text}`;
  return group ? `${nameOf(message.senderId)}: ${text}` : text;
}

/** "X recalled a message" ("You recalled a message" for one's own). */
export function recalledText(mine, name, t) {
  return mine ? t.recalledByMe : t.recalledBy.replace('{name}', name);
}

/** Group roles (GroupMemberEntry.role, GroupEntry.myRole). */
export const ROLE = { member: 0, admin: 1, owner: 2 };

/**
 * What I may do to a member of a group, from my role and theirs (the server's rules: the owner does everything,
 * an admin may remove plain members, nobody acts on themselves this way).
 */
export function memberActions(myRole, myUserId, member) {
  const self = member.userId === myUserId;
  const owner = myRole === ROLE.owner;
  return {
    kick: !self && (owner || (myRole === ROLE.admin && member.role === ROLE.member)),
    promote: !self && owner && member.role === ROLE.member,
    demote: !self && owner && member.role === ROLE.admin,
    transfer: !self && owner,
  };
}

/**
 * A search hit's snippet as plain and marked parts, from its highlights (UTF-16 offsets, as the server sends them):
 * [{ text, mark }]. Ranges out of the snippet are clipped and overlaps trimmed, so a bad range never loses or repeats text.
 */
export function snippetParts(snippet, highlights = []) {
  const text = String(snippet);
  const ranges = highlights
    .map((h) => [Math.max(0, Math.min(text.length, h.start)), Math.max(0, Math.min(text.length, h.start + h.length))])
    .filter(([from, to]) => to > from)
    .sort((a, b) => a[0] - b[0]);
  const parts = [];
  let at = 0;
  for (const [from, to] of ranges) {
    if (to <= at) continue;
    if (from > at) parts.push({ text: text.slice(at, from), mark: false });
    parts.push({ text: text.slice(Math.max(from, at), to), mark: true });
    at = to;
  }
  if (at < text.length) parts.push({ text: text.slice(at), mark: false });
  return parts;
}

/**
 * Search hits (newest first) grouped by conversation, the groups in the order of their newest hit, each hit once
 * (a page that repeats one is harmless): [{ conversationId, kind, targetId, hits }].
 */
export function groupHits(hits) {
  const groups = new Map();
  const seen = new Set();
  for (const hit of hits) {
    const id = String(hit.messageId);
    if (seen.has(id)) continue;
    seen.add(id);
    let group = groups.get(hit.conversationId);
    if (!group) {
      group = { conversationId: hit.conversationId, kind: hit.kind, targetId: hit.targetId, hits: [] };
      groups.set(hit.conversationId, group);
    }
    group.hits.push(hit);
  }
  return [...groups.values()];
}
