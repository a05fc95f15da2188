// The chat app. Speaks the binary protocol over /ws (connection.js). Every piece of user-provided text
// is put into the page with textContent (el() below), never as HTML.
import { Connection } from './connection.js';
import { texts } from './i18n.js';
import {
  FLAGS, KIND, canRecall, tickFor, newClientMessageId, mentionQuery, insertMention, mentionIds, describeNotice,
  NODE_LOST_CLOSE, reconnectDelayMs, insertionIndex, catchUpAfterSeq,
} from './chat-logic.js';

const root = document.getElementById('app');
const language = root.dataset.lang || 'zh-CN';
const t = texts(language);
const HISTORY_PAGE = 30;

/** Builds an element; string children become text nodes (never parsed as HTML). */
function el(tag, attrs = {}, ...children) {
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

const state = {
  me: null,
  friends: new Map(),
  requests: [],
  groups: new Map(),
  conversations: new Map(), // conversationId → ConversationEntry
  names: new Map(), // userId → display name
  current: null, // {conv, members, oldestSeq, more, loading, bySeq: Map, byId: Map}
  typingTimers: new Map(),
  lastTypingSent: 0,
  unacked: null, // {conversationId, text, clientMessageId}: a send whose connection was lost before its ack
  assistantUsername: '', // from the bridge's hello: the built-in assistant, left out of the group picker
};

// ------------------------------------------------------------------------------------------- layout
const ui = {
  requests: el('ul', { id: 'requests' }),
  friends: el('ul', { id: 'friends' }),
  groups: el('ul', { id: 'groups' }),
  findInput: el('input', { id: 'find-input', placeholder: t.findPlaceholder, autocomplete: 'off' }),
  findResult: el('div', { id: 'find-result', class: 'result' }),
  groupName: el('input', { id: 'group-name', placeholder: t.groupName, maxlength: 30 }),
  groupMembers: el('div', { id: 'group-members' }),
  groupError: el('div', { class: 'result', id: 'group-error' }),
  title: el('span', { id: 'conv-title' }),
  typing: el('span', { id: 'typing', class: 'typing' }),
  messages: el('div', { id: 'messages', class: 'messages' }),
  input: el('textarea', { id: 'composer-input', placeholder: t.placeholder, disabled: true }),
  sendButton: el('button', { id: 'send', type: 'button', disabled: true, text: t.send }),
  mentionMenu: el('ul', { class: 'mention-menu', id: 'mention-menu', hidden: true }),
  error: el('div', { id: 'chat-error', class: 'error-line', role: 'alert' }),
  conn: document.getElementById('conn-state'),
};

const groupForm = el('form', { class: 'group-form', id: 'group-form', hidden: true },
  ui.groupName, el('div', { class: 'result', text: t.pickMembers }), ui.groupMembers,
  el('button', { type: 'submit', id: 'group-create', text: t.create }), ui.groupError);

root.append(
  el('aside', { class: 'sidebar' },
    el('h2', {}, t.requests), ui.requests,
    el('h2', {}, t.find),
    el('div', { class: 'finder' },
      el('div', { class: 'row' }, ui.findInput, el('button', { id: 'find-button', type: 'button', text: t.search, onclick: findUser })),
      ui.findResult),
    el('h2', {}, t.friends), ui.friends,
    el('h2', {}, el('span', { text: t.groups }),
      el('button', { id: 'group-new', type: 'button', text: '+', title: t.createGroup, onclick: () => { groupForm.hidden = !groupForm.hidden; renderGroupPicker(); } })),
    groupForm, ui.groups),
  el('section', { class: 'conversation' },
    el('div', { class: 'title' }, ui.title, ui.typing),
    ui.messages, ui.error,
    el('div', { class: 'composer' }, ui.input, ui.sendButton, ui.mentionMenu)),
);
ui.messages.append(el('p', { class: 'empty', text: t.noConversation }));

// ------------------------------------------------------------------------------------------- connection
const connection = new Connection(`${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws`);
// Reconnecting is the normal answer to any drop: a chat server node lost under the bridge (close 1012), the
// gateway restarting, the network. Attempts back off (reconnectDelayMs: 250 ms doubling to at most 10 s) and
// never stop while the session lives; every successful one signs in again (the gateway does, with the session's
// token) and catches up in start(). body[data-connection] and [data-reconnects] let tests follow along.
let attempts = 0;
let everOpened = false;
let reconnects = 0;
// Signing out ends the session, which closes the bridge while the sign-out post is still on its way back: the
// page must then leave it to the form's navigation, not reconnect or redirect on its own.
let signingOut = false;
document.querySelector('form.signout')?.addEventListener('submit', () => { signingOut = true; });

connection.onState((s, detail) => {
  if (signingOut) return;
  if (s === 'open') everOpened = true;
  const reconnecting = everOpened && s !== 'open';
  ui.conn.textContent = s === 'open' ? '' : reconnecting ? t.offline : t.connecting;
  document.body.dataset.connection = reconnecting ? 'reconnecting' : s;
  if (s !== 'closed') return;
  document.body.dataset.lastClose = String(detail.code);
  attempts += 1;
  const retry = () => setTimeout(start, reconnectDelayMs(attempts));
  // A lost node says so (1012): nothing is wrong with the session, the gateway picks another node.
  if (detail.code === NODE_LOST_CLOSE) { retry(); return; }
  // Anything else may mean the session is gone (signed out elsewhere, expired: the bridge then refuses the
  // upgrade); "/" answers with a redirect to sign in exactly then. An unreachable gateway is retried.
  sessionAlive().then((alive) => { if (alive) retry(); else location.assign('/'); });
});

async function sessionAlive() {
  try {
    const response = await fetch('/', { redirect: 'manual', credentials: 'same-origin', cache: 'no-store' });
    return response.type !== 'opaqueredirect';
  } catch {
    return true;
  }
}

connection.onPush((type, f) => {
  switch (type) {
    case 'MessagePush': onMessage(f.message); break;
    case 'PresencePush': {
      const friend = state.friends.get(f.userId);
      if (friend) { friend.status = f.status; friend.lastSeenMs = f.lastSeenMs; renderFriends(); }
      break;
    }
    case 'FriendEventPush': loadFriends(); loadRequests(); break;
    case 'GroupEventPush': loadGroups(); break;
    case 'ReadPush': onMarker(f, 'peerReadSeq'); break;
    case 'DeliveredPush': onMarker(f, 'peerDeliveredSeq'); break;
    case 'TypingPush': onTyping(f); break;
    case 'GoAway': break;
    default: break;
  }
});

async function start() {
  try {
    const hello = await connection.connect();
    const again = document.body.dataset.ready === '1';
    attempts = 0;
    state.me = { userId: hello.userId, username: hello.username, nickname: hello.nickname };
    state.assistantUsername = hello.assistantUsername;
    state.names.set(hello.userId, hello.nickname || hello.username);
    document.body.dataset.userId = String(hello.userId);
    // Lists and unread counts come fresh from the server (other conversations' missed messages show as unread).
    await Promise.all([loadFriends(), loadRequests(), loadGroups(), loadConversations()]);
    // After a reconnect, catch up on the open conversation from the last seq shown: what was sent while this
    // page was away (or while its node died) arrives here; pushes racing with it are merged by seq.
    if (state.current) await catchUp();
    document.body.dataset.ready = '1';
    if (again) document.body.dataset.reconnects = String(++reconnects);
  } catch (error) {
    console.warn('connect failed', error);
  }
}

function showError(error) {
  ui.error.textContent = error?.message ?? String(error);
  setTimeout(() => { if (ui.error.textContent === (error?.message ?? String(error))) ui.error.textContent = ''; }, 6000);
}

async function req(type, fields) {
  try {
    return (await connection.request(type, fields)).fields;
  } catch (error) {
    // Code 0 is the connection, not the server's answer: say so in the page's language.
    showError(error?.code === 0 ? t.offline : error);
    throw error;
  }
}

// ------------------------------------------------------------------------------------------- friends
async function loadFriends() {
  try {
    const { friends } = await connection.request('GetFriends').then((r) => r.fields);
    state.friends = new Map(friends.map((f) => [f.userId, f]));
    for (const f of friends) state.names.set(f.userId, f.remark || f.nickname || f.username);
  } catch (error) {
    console.warn('GetFriends', error);
  }
  renderFriends();
}

async function loadRequests() {
  try {
    state.requests = (await connection.request('GetFriendRequests')).fields.requests;
  } catch (error) {
    console.warn('GetFriendRequests', error);
    state.requests = [];
  }
  renderRequests();
}

function renderRequests() {
  ui.requests.replaceChildren(...state.requests.map((r) => el('li', { class: 'request', 'data-user-id': r.fromUserId },
    el('div', {}, el('strong', { text: r.nickname || r.username }), ` @${r.username}`),
    r.note ? el('div', { class: 'result', text: r.note }) : null,
    el('div', { class: 'actions' },
      el('button', { type: 'button', class: 'accept', text: t.accept, onclick: () => respond(r.fromUserId, true) }),
      el('button', { type: 'button', class: 'decline', text: t.decline, onclick: () => respond(r.fromUserId, false) })))));
}

async function respond(userId, accept) {
  await req('FriendRespond', { userId, accept }).catch(() => {});
  await Promise.all([loadRequests(), loadFriends()]);
}

function unreadFor(kind, targetId) {
  for (const c of state.conversations.values()) if (c.kind === kind && c.targetId === targetId) return c;
  return null;
}

function renderFriends() {
  if (state.friends.size === 0) {
    ui.friends.replaceChildren(el('li', { class: 'result', text: t.noFriends }));
    return;
  }
  const sorted = [...state.friends.values()].sort((a, b) => (b.status > 0) - (a.status > 0) || (a.nickname || a.username).localeCompare(b.nickname || b.username));
  ui.friends.replaceChildren(...sorted.map((f) => {
    const conv = unreadFor(KIND.direct, f.userId);
    const active = state.current?.conv.kind === KIND.direct && state.current.conv.targetId === f.userId;
    return el('li', {
      class: `item friend${active ? ' active' : ''}`, 'data-user-id': f.userId, 'data-username': f.username,
      onclick: () => openConversation(KIND.direct, f.userId),
    },
    el('span', { class: `dot${f.status > 0 ? ' online' : ''}`, 'data-status': f.status }),
    el('span', { class: 'name', text: f.remark || f.nickname || f.username, title: `@${f.username}` }),
    el('span', { class: 'badge unread', text: conv && conv.unread > 0 && !active ? String(conv.unread) : '' }));
  }));
}

async function findUser() {
  const query = ui.findInput.value.trim();
  if (!query) return;
  ui.findResult.replaceChildren();
  try {
    const { user } = await req('FindUser', { query });
    const add = el('button', {
      type: 'button', id: 'send-request', text: t.sendRequest,
      onclick: async () => {
        await req('FriendRequest', { userId: user.userId, note: `${t.note} ${state.me.nickname}` }).catch(() => {});
        add.disabled = true;
        ui.findResult.append(el('div', { class: 'request-sent', text: t.requestSent }));
      },
    });
    ui.findResult.replaceChildren(el('div', { class: 'found', 'data-user-id': user.userId }, `${user.nickname} @${user.username} `, add));
  } catch (error) {
    ui.findResult.textContent = error.message;
  }
}
ui.findInput.addEventListener('keydown', (e) => { if (e.key === 'Enter') findUser(); });

// ------------------------------------------------------------------------------------------- groups
async function loadGroups() {
  try {
    const { groups } = (await connection.request('GetGroups')).fields;
    state.groups = new Map(groups.map((g) => [g.groupId, g]));
  } catch (error) {
    console.warn('GetGroups', error);
  }
  renderGroups();
}

function renderGroups() {
  if (state.groups.size === 0) {
    ui.groups.replaceChildren(el('li', { class: 'result', text: t.noGroups }));
    return;
  }
  ui.groups.replaceChildren(...[...state.groups.values()].map((g) => {
    const conv = unreadFor(KIND.group, g.groupId);
    const active = state.current?.conv.kind === KIND.group && state.current.conv.targetId === g.groupId;
    return el('li', { class: `item group${active ? ' active' : ''}`, 'data-group-id': g.groupId, onclick: () => openConversation(KIND.group, g.groupId) },
      el('span', { class: 'name', text: `${g.name} (${g.memberCount} ${t.members})` }),
      el('span', { class: 'badge mention-badge', text: conv && conv.mentionCount > 0 && !active ? '@' : '' }),
      el('span', { class: 'badge unread', text: conv && conv.unread > 0 && !active ? String(conv.unread) : '' }));
  }));
}

function renderGroupPicker() {
  // People only: the assistant is everyone's friend but cannot be a group member.
  const people = [...state.friends.values()].filter((f) => f.username !== state.assistantUsername);
  ui.groupMembers.replaceChildren(...people.map((f) => el('label', { class: 'pick' },
    el('input', { type: 'checkbox', value: f.userId, 'data-username': f.username }), ` ${f.nickname || f.username}`)));
}

groupForm.addEventListener('submit', async (event) => {
  event.preventDefault();
  const memberIds = [...ui.groupMembers.querySelectorAll('input:checked')].map((i) => Number(i.value));
  try {
    const { group } = await req('GroupCreate', { name: ui.groupName.value.trim(), memberIds });
    ui.groupName.value = '';
    groupForm.hidden = true;
    state.groups.set(group.groupId, group);
    renderGroups();
    openConversation(KIND.group, group.groupId);
  } catch (error) {
    ui.groupError.textContent = error.message;
  }
});

// ------------------------------------------------------------------------------------------- conversations
async function loadConversations() {
  try {
    const { conversations } = (await connection.request('GetConversations')).fields;
    state.conversations = new Map(conversations.map((c) => [c.conversationId, c]));
  } catch (error) {
    console.warn('GetConversations', error);
  }
  renderFriends();
  renderGroups();
}

function titleOf(conv) {
  if (conv.kind === KIND.group) return state.groups.get(conv.targetId)?.name || conv.title;
  const friend = state.friends.get(conv.targetId);
  return friend ? (friend.remark || friend.nickname || friend.username) : conv.title;
}

async function openConversation(kind, targetId) {
  let conv;
  try {
    conv = (await req('OpenConversation', { kind, targetId })).conversation;
  } catch {
    return;
  }
  state.conversations.set(conv.conversationId, conv);
  state.current = { conv, members: [], oldestSeq: 0, more: true, loading: false, bySeq: new Map(), byId: new Map() };
  document.body.dataset.conversationId = String(conv.conversationId);
  ui.title.textContent = titleOf(conv);
  ui.typing.textContent = '';
  ui.messages.replaceChildren();
  ui.input.disabled = false;
  ui.sendButton.disabled = false;
  ui.input.focus();
  renderFriends();
  renderGroups();
  if (kind === KIND.group) {
    req('GetGroupMembers', { groupId: targetId }).then(({ members }) => {
      if (state.current?.conv !== conv) return;
      state.current.members = members;
      for (const m of members) if (!state.names.has(m.userId)) state.names.set(m.userId, m.nickname || m.username);
    }).catch(() => {});
  }
  await loadOlder();
  scrollToBottom();
  markRead();
}

async function loadOlder() {
  const current = state.current;
  if (!current || current.loading || !current.more) return;
  current.loading = true;
  try {
    const batch = await req('History', { conversationId: current.conv.conversationId, beforeSeq: current.oldestSeq, limit: HISTORY_PAGE });
    if (state.current !== current) return;
    current.more = batch.more;
    const previousHeight = ui.messages.scrollHeight;
    const nodes = [];
    for (const m of batch.messages) {
      const node = renderMessage(m);
      if (node) nodes.push(node);
      if (current.oldestSeq === 0 || m.seq < current.oldestSeq) current.oldestSeq = m.seq;
    }
    ui.messages.prepend(...nodes);
    for (const m of batch.messages) if (m.flags & FLAGS.recallNotice) applyRecall(m.text);
    // Keep the reader's place when older messages appear above.
    ui.messages.scrollTop += ui.messages.scrollHeight - previousHeight;
    const last = batch.messages.at(-1);
    if (last) connection.request('MarkDelivered', { conversationId: current.conv.conversationId, seq: last.seq }).catch(() => {});
  } catch {
    // shown by req()
  } finally {
    current.loading = false;
  }
}

ui.messages.addEventListener('scroll', () => {
  if (ui.messages.scrollTop < 40) loadOlder();
});

async function catchUp() {
  const current = state.current;
  // From below the first gap: a push on the new connection may already have landed above it.
  let afterSeq = catchUpAfterSeq([...current.bySeq.keys()]);
  for (;;) {
    let batch;
    try {
      batch = await req('Sync', { conversationId: current.conv.conversationId, afterSeq, limit: 100 });
    } catch {
      return;
    }
    if (state.current !== current) return;
    for (const m of batch.messages) onMessage(m);
    if (!batch.more || batch.messages.length === 0) return;
    afterSeq = batch.messages.at(-1).seq;
  }
}

// Isolated (FSI … PDI) wherever it goes into a line of text: a bidi control in a name (one stored before the
// server refused them) cannot reorder the rest of the line.
function nameOf(userId) {
  const name = userId === state.me?.userId ? (state.me.nickname || state.me.username) : (state.names.get(userId) ?? `#${userId}`);
  return `\u2068${name}\u2069`;
}

function formatTime(ms) {
  return new Date(ms).toLocaleString(language, { hour: '2-digit', minute: '2-digit', month: 'numeric', day: 'numeric' });
}

/** One message element, or null for timeline events that only change other messages (recall notices). */
function renderMessage(m) {
  const current = state.current;
  if (current.bySeq.has(m.seq)) return null;
  if (m.flags & FLAGS.recallNotice) {
    current.bySeq.set(m.seq, null);
    return null;
  }
  if (m.flags & FLAGS.system) {
    const node = el('div', { class: 'system', 'data-seq': m.seq, text: describeNotice(m.text, nameOf, t.notice) });
    current.bySeq.set(m.seq, node);
    return node;
  }
  const mine = m.senderId === state.me.userId && !(m.flags & FLAGS.assistant);
  const mentioned = (m.mentions || []).some((id) => id === 0 || id === state.me.userId) && !mine;
  const bubble = el('div', { class: 'bubble' });
  bubble.textContent = (m.flags & FLAGS.recalled) ? t.recalled : m.text;
  const classes = ['msg', mine ? 'mine' : 'theirs'];
  if (m.flags & FLAGS.assistant) classes.push('assistant');
  if (m.flags & FLAGS.recalled) classes.push('recalled');
  if (mentioned) classes.push('mention');
  const node = el('div', { class: classes.join(' '), 'data-seq': m.seq, 'data-message-id': m.messageId, 'data-sender-id': m.senderId },
    el('span', { class: 'meta', text: `${nameOf(m.senderId)} · ${formatTime(m.sentAtMs)}` }),
    bubble);
  if (mine) {
    const tick = el('span', { class: 'tick' });
    node.append(tick);
    if (canRecall(m, state.me.userId, Date.now())) {
      const button = el('button', {
        type: 'button', class: 'recall', text: t.recall,
        onclick: () => req('Recall', { conversationId: m.conversationId, messageId: m.messageId }).then(() => applyRecall(m.messageId)).catch(() => {}),
      });
      node.append(button);
      setTimeout(() => button.remove(), Math.max(0, m.sentAtMs + 120000 - Date.now()));
    }
  }
  node.message = m;
  current.bySeq.set(m.seq, node);
  current.byId.set(String(m.messageId), node);
  updateTick(node);
  return node;
}

function updateTick(node) {
  const tick = node?.querySelector?.('.tick');
  const conv = state.current?.conv;
  if (!tick || !conv) return;
  if (conv.kind !== KIND.direct) { tick.textContent = t.sent; return; }
  const kind = tickFor(node.message.seq, conv.peerDeliveredSeq, conv.peerReadSeq);
  tick.textContent = t[kind];
  tick.className = `tick ${kind}`;
  tick.dataset.tick = kind;
}

/** Message ids are compared as decimal strings: a recall notice carries the id as text. */
function applyRecall(messageId) {
  const node = state.current?.byId.get(String(messageId));
  if (!node) return;
  node.classList.add('recalled');
  node.querySelector('.bubble').textContent = t.recalled;
  node.querySelector('.recall')?.remove();
}

/** Puts a message element in seq order among those shown (a live push can overtake the catch-up's Sync). */
function insertBySeq(node, seq) {
  const shown = [...ui.messages.children].filter((child) => child.dataset.seq !== undefined);
  const index = insertionIndex(shown.map((child) => Number(child.dataset.seq)), seq);
  ui.messages.insertBefore(node, shown[index] ?? null);
}

function scrollToBottom() {
  ui.messages.scrollTop = ui.messages.scrollHeight;
}

function markRead() {
  const current = state.current;
  if (!current || document.visibilityState === 'hidden') return;
  const lastSeq = Math.max(0, ...[...current.bySeq.keys()]);
  if (lastSeq <= (current.conv.readSeq || 0)) return;
  current.conv.readSeq = lastSeq;
  current.conv.unread = 0;
  current.conv.mentionCount = 0;
  connection.request('MarkRead', { conversationId: current.conv.conversationId, seq: lastSeq }).catch(() => {});
}
document.addEventListener('visibilitychange', markRead);

function onMessage(m) {
  const current = state.current;
  const mine = m.senderId === state.me?.userId && !(m.flags & FLAGS.assistant);
  if (!mine) connection.request('MarkDelivered', { conversationId: m.conversationId, seq: m.seq }).catch(() => {});
  let conv = state.conversations.get(m.conversationId);
  if (!conv) {
    loadConversations();
  } else {
    conv.lastSeq = Math.max(conv.lastSeq, m.seq);
    conv.lastMessage = m;
  }
  if (current && current.conv.conversationId === m.conversationId) {
    const nearBottom = ui.messages.scrollHeight - ui.messages.scrollTop - ui.messages.clientHeight < 80;
    const node = renderMessage(m);
    if (node) insertBySeq(node, m.seq);
    if (m.flags & FLAGS.recallNotice) applyRecall(m.text);
    if (!mine) clearTyping(m.senderId);
    if (nearBottom || mine) scrollToBottom();
    markRead();
  } else if (conv && !mine && !(m.flags & FLAGS.recallNotice)) {
    conv.unread = (conv.unread || 0) + 1;
    if ((m.mentions || []).some((id) => id === 0 || id === state.me.userId)) conv.mentionCount = (conv.mentionCount || 0) + 1;
    renderFriends();
    renderGroups();
  }
}

function onMarker(f, field) {
  if (f.userId === state.me?.userId) return;
  const conv = state.conversations.get(f.conversationId);
  if (conv) conv[field] = Math.max(conv[field] || 0, f.seq);
  const current = state.current;
  if (current && current.conv.conversationId === f.conversationId) {
    current.conv[field] = Math.max(current.conv[field] || 0, f.seq);
    for (const node of current.bySeq.values()) updateTick(node);
  }
}

function onTyping(f) {
  if (f.userId === state.me?.userId || state.current?.conv.conversationId !== f.conversationId) return;
  ui.typing.textContent = state.current.conv.kind === KIND.group ? `${nameOf(f.userId)} ${t.typing}` : t.typing;
  clearTimeout(state.typingTimers.get(f.userId));
  state.typingTimers.set(f.userId, setTimeout(() => clearTyping(f.userId), 4000));
}

function clearTyping(userId) {
  clearTimeout(state.typingTimers.get(userId));
  state.typingTimers.delete(userId);
  if (state.typingTimers.size === 0) ui.typing.textContent = '';
}

// ------------------------------------------------------------------------------------------- composer
function mentionCandidates() {
  const current = state.current;
  if (!current || current.conv.kind !== KIND.group) return [];
  return [{ userId: 0, name: t.all }, ...current.members
    .filter((m) => m.userId !== state.me.userId)
    .map((m) => ({ userId: m.userId, name: m.nickname || m.username }))];
}

async function send() {
  const current = state.current;
  const text = ui.input.value.trim();
  if (!current || !text) return;
  const mentions = current.conv.kind === KIND.group ? mentionIds(` ${text}`, mentionCandidates()) : [];
  // Sending again what a lost connection left unacknowledged reuses its id: the server may have stored it
  // (the ack was what got lost), and the same clientMessageId is answered with the stored copy, not a second one.
  const unacked = state.unacked;
  const clientMessageId = unacked && unacked.conversationId === current.conv.conversationId && unacked.text === text
    ? unacked.clientMessageId : newClientMessageId();
  state.unacked = null;
  ui.input.value = '';
  hideMentionMenu();
  try {
    const ack = await req('Send', { kind: current.conv.kind, targetId: current.conv.targetId, clientMessageId, text, mentions });
    if (state.current !== current) return;
    onMessage({
      conversationId: ack.conversationId, kind: current.conv.kind, targetId: current.conv.targetId, messageId: ack.messageId,
      seq: ack.seq, senderId: state.me.userId, clientMessageId, sentAtMs: ack.sentAtMs, flags: 0, text, mentions,
    });
  } catch (error) {
    // Keep what was typed so it can be sent again. An Error answer means it was not stored (a new id next time);
    // a lost connection leaves it unknown, so the id is kept for a resend of the same text.
    if (!ui.input.value) ui.input.value = text;
    if (error?.code === 0) state.unacked = { conversationId: current.conv.conversationId, text, clientMessageId };
  }
}

ui.sendButton.addEventListener('click', send);
ui.input.addEventListener('keydown', (event) => {
  if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
    event.preventDefault();
    const first = ui.mentionMenu.hidden ? null : ui.mentionMenu.querySelector('li');
    if (first) first.click();
    else send();
  } else if (event.key === 'Escape') {
    hideMentionMenu();
  }
});
ui.input.addEventListener('input', () => {
  const current = state.current;
  if (!current) return;
  const now = Date.now();
  if (now - state.lastTypingSent > 2000 && ui.input.value.trim() !== '') {
    state.lastTypingSent = now;
    connection.request('Typing', { conversationId: current.conv.conversationId }).catch(() => {});
  }
  showMentionMenu();
});

function showMentionMenu() {
  const query = mentionQuery(ui.input.value, ui.input.selectionStart);
  const candidates = query === null ? [] : mentionCandidates().filter((c) => c.name.toLowerCase().startsWith(query.toLowerCase()));
  if (candidates.length === 0) { hideMentionMenu(); return; }
  ui.mentionMenu.replaceChildren(...candidates.map((c) => el('li', {
    'data-user-id': c.userId, text: c.name,
    onclick: () => {
      const { text, caret } = insertMention(ui.input.value, ui.input.selectionStart, c.name);
      ui.input.value = text;
      ui.input.setSelectionRange(caret, caret);
      hideMentionMenu();
      ui.input.focus();
    },
  })));
  ui.mentionMenu.hidden = false;
}

function hideMentionMenu() {
  ui.mentionMenu.hidden = true;
}

start();
