// The chat app. Speaks the binary protocol over /ws (connection.js); requests are matched to answers by request id,
// never by order. Every piece of user-provided text goes into the page as text (dom.js el/setText), never as HTML.
//
// Layout: the sidebar (recent chats, contacts, groups) beside the open conversation and its details panel; on a
// narrow screen one pane at a time (body[data-view] = list | conversation | details). Each conversation has a URL
// (#/u/<userId>, #/g/<groupId>): links open it, reload and back/forward work. Drafts are kept per conversation in
// localStorage; read state follows the user's other tabs and devices (their ReadPush).
import { Connection } from './connection.js';
import { texts } from './i18n.js';
import { el, reconcile, setText, say } from './dom.js';
import { emojiPicker } from './emoji.js';
import { uploadFile, UploadCancelled, renderAttachment, imageViewer, formatSize } from './attachments.js';
import {
  FLAGS, KIND, ROLE, canRecall, tickFor, newClientMessageId, mentionQuery, insertMention, mentionIds, describeNotice,
  NODE_LOST_CLOSE, reconnectDelayMs, insertionIndex, catchUpAfterSeq, RECALL_WINDOW_MS,
  recentOrder, routeOf, parseRoute, draftKey, totalUnread, titleWithUnread, afterOwnRead, initials, avatarHue,
  dayKey, continuesRun, dayLabel, listTime, previewOf, recalledText, memberActions, snippetParts, groupHits,
} from './chat-logic.js';

const root = document.getElementById('app');
const language = root.dataset.lang || 'zh-CN';
const t = texts(language);
const HISTORY_PAGE = 30;
const SEARCH_PAGE = 30;
const SEARCH_DEBOUNCE_MS = 300;
const baseTitle = document.title;
const narrow = window.matchMedia('(max-width: 760px)');

const state = {
  me: null,
  friends: new Map(),
  requests: [],
  groups: new Map(),
  conversations: new Map(), // conversationId → ConversationEntry
  names: new Map(), // userId → display name
  // {conv, kind, targetId, members, oldestSeq, more, newestSeq, moreAfter, loading, bySeq: Map, byId: Map, gone}; moreAfter:
  // the view is a window opened at a search hit and newer messages exist below it (loaded by scrolling down)
  current: null,
  jump: null, // {conversationId, seq}: the search hit the conversation being opened shows in context
  search: { text: '', hits: [], more: false, serial: 0, timer: 0 },
  opening: null, // the route being opened (a second click on it waits for the first)
  typingTimers: new Map(),
  lastTypingSent: 0,
  unacked: null, // {conversationId, text, clientMessageId}: a send whose connection was lost before its ack
  assistantUserId: 0, // from the bridge's hello (the server's SignedIn): the built-in assistant, left out of the group picker
  details: null, // what the details panel shows: 'friend' | 'group' | 'profile' | null
  profile: null,
};

// ------------------------------------------------------------------------------------------- layout
function tabButton(id, label) {
  return el('button', { type: 'button', role: 'tab', id: `tab-${id}`, 'aria-controls': `panel-${id}`, 'aria-selected': 'false', tabindex: '-1', class: 'tab' },
    el('span', { text: label }), el('span', { class: 'badge unread', id: `tab-${id}-badge` }));
}

const ui = {
  tabs: { chats: tabButton('chats', t.chats), contacts: tabButton('contacts', t.contacts), groups: tabButton('groups', t.groups) },
  recent: el('ul', { id: 'recent', class: 'list', 'aria-label': t.chatList }),
  requests: el('ul', { id: 'requests', class: 'list', 'aria-label': t.requests }),
  friends: el('ul', { id: 'friends', class: 'list', 'aria-label': t.friends }),
  groups: el('ul', { id: 'groups', class: 'list', 'aria-label': t.groups }),
  findInput: el('input', { id: 'find-input', placeholder: t.findPlaceholder, autocomplete: 'off', 'aria-label': t.findLabel, enterkeyhint: 'search' }),
  findResult: el('div', { id: 'find-result', class: 'result', 'aria-live': 'polite' }),
  groupName: el('input', { id: 'group-name', maxlength: 30, autocomplete: 'off' }),
  groupMembers: el('div', { id: 'group-members', class: 'picker' }),
  groupError: el('div', { class: 'field-error', id: 'group-error', role: 'alert' }),
  notify: el('button', { type: 'button', id: 'notify-toggle', class: 'link-button' }),
  notifyNote: el('span', { class: 'result', id: 'notify-note' }),
  back: el('button', { type: 'button', id: 'back', class: 'icon-button back', 'aria-label': t.back, text: '‹' }),
  convAvatar: el('span', { class: 'avatar', 'aria-hidden': 'true' }),
  title: el('h1', { id: 'conv-title' }),
  sub: el('span', { id: 'conv-sub', class: 'sub' }),
  typing: el('span', { id: 'typing', class: 'typing', 'aria-live': 'polite' }),
  info: el('button', { type: 'button', id: 'conv-info', class: 'icon-button', 'aria-label': t.details, 'aria-controls': 'details', 'aria-expanded': 'false', text: '⋯', hidden: true }),
  messages: el('div', { id: 'messages', class: 'messages', role: 'log', 'aria-live': 'polite', 'aria-label': t.messagesLabel, tabindex: '0' }),
  input: el('textarea', { id: 'composer-input', placeholder: t.placeholder, 'aria-label': t.composerLabel, disabled: true, rows: 2, enterkeyhint: 'send' }),
  emojiButton: el('button', { type: 'button', id: 'emoji-button', class: 'icon-button emoji-button', 'aria-label': t.emoji, disabled: true, text: '😊' }),
  attachButton: el('button', { type: 'button', id: 'attach-button', class: 'icon-button attach-button', 'aria-label': t.attach, title: t.attach, disabled: true, text: '📎' }),
  fileInput: el('input', { type: 'file', id: 'file-input', multiple: true, hidden: true, tabindex: '-1', 'aria-hidden': 'true' }),
  sendButton: el('button', { type: 'button', id: 'send', class: 'primary-button', disabled: true, text: t.send }),
  mentionMenu: el('ul', { class: 'mention-menu', id: 'mention-menu', role: 'listbox', 'aria-label': t.all, hidden: true }),
  error: el('div', { id: 'chat-error', class: 'error-line', role: 'alert' }),
  details: el('aside', { id: 'details', class: 'details', 'aria-labelledby': 'details-title', hidden: true }),
  detailsTitle: el('h2', { id: 'details-title' }),
  detailsBody: el('div', { class: 'details-body', id: 'details-body' }),
  searchInput: el('input', { type: 'search', id: 'search-input', placeholder: t.searchPlaceholder, autocomplete: 'off', 'aria-label': t.searchLabel, 'aria-controls': 'search-results', enterkeyhint: 'search' }),
  searchResults: el('section', { id: 'search-results', class: 'panel search-results', 'aria-label': t.searchResults, hidden: true }),
  searchStatus: el('p', { id: 'search-status', class: 'result', role: 'status' }),
  searchList: el('div', { id: 'search-list' }),
  searchMore: el('button', { type: 'button', id: 'search-more', class: 'link-button', text: t.searchMore, hidden: true }),
  conn: document.getElementById('conn-state'),
  me: document.getElementById('me'),
};

const viewer = imageViewer(t);
const emojiPanel = emojiPicker(ui.emojiButton, t.emoji, (emoji) => insertAtCaret(emoji));

const groupForm = el('form', { class: 'group-form', id: 'group-form', hidden: true, novalidate: true },
  el('label', { for: 'group-name', text: t.groupName }), ui.groupName,
  el('fieldset', { class: 'picker-set' }, el('legend', { text: t.pickMembers }), ui.groupMembers),
  ui.groupError,
  el('div', { class: 'row' },
    el('button', { type: 'submit', id: 'group-create', class: 'primary-button', text: t.create }),
    el('button', { type: 'button', id: 'group-cancel', text: t.cancel, onclick: () => toggleGroupForm(false) })));

const groupNew = el('button', { type: 'button', id: 'group-new', class: 'link-button', 'aria-expanded': 'false', 'aria-controls': 'group-form', onclick: () => toggleGroupForm(groupForm.hidden) },
  el('span', { 'aria-hidden': 'true', text: '+ ' }), t.createGroup);

const panels = {
  chats: el('section', { id: 'panel-chats', class: 'panel', role: 'tabpanel', 'aria-labelledby': 'tab-chats' }, ui.recent),
  contacts: el('section', { id: 'panel-contacts', class: 'panel', role: 'tabpanel', 'aria-labelledby': 'tab-contacts', hidden: true },
    el('h2', { text: t.requests }), ui.requests,
    el('h2', { text: t.find }),
    el('div', { class: 'finder' },
      el('div', { class: 'row' }, ui.findInput, el('button', { id: 'find-button', type: 'button', text: t.search, onclick: findUser })),
      ui.findResult),
    el('h2', { text: t.friends }), ui.friends),
  groups: el('section', { id: 'panel-groups', class: 'panel', role: 'tabpanel', 'aria-labelledby': 'tab-groups', hidden: true },
    el('div', { class: 'panel-head' }, el('h2', { text: t.groups }), groupNew), groupForm, ui.groups),
};

ui.details.append(
  el('header', { class: 'details-head' }, ui.detailsTitle,
    el('button', { type: 'button', id: 'details-close', class: 'icon-button', 'aria-label': t.close, text: '×', onclick: () => closeDetails(true) })),
  ui.detailsBody);

root.append(
  el('nav', { class: 'sidebar', 'aria-label': t.chatList },
    el('div', { class: 'search-box', role: 'search' }, ui.searchInput),
    el('div', { class: 'tabs', role: 'tablist', 'aria-label': t.chatList }, ui.tabs.chats, ui.tabs.contacts, ui.tabs.groups),
    panels.chats, panels.contacts, panels.groups, ui.searchResults,
    el('div', { class: 'sidebar-foot' }, ui.notify, ui.notifyNote)),
  el('main', { class: 'conversation', id: 'conversation', 'aria-labelledby': 'conv-title' },
    el('header', { class: 'title' }, ui.back, ui.convAvatar, el('div', { class: 'title-text' }, ui.title, el('div', { class: 'title-sub' }, ui.sub, ui.typing)), ui.info),
    ui.messages, ui.error,
    el('div', { class: 'composer' }, ui.emojiButton, ui.attachButton, ui.fileInput, ui.input, ui.sendButton, ui.mentionMenu, emojiPanel)),
  ui.details,
  viewer.element,
);
showEmptyConversation();
document.body.dataset.view = 'list';

// ------------------------------------------------------------------------------------------- tabs
const tabOrder = ['chats', 'contacts', 'groups'];
function selectTab(name, focus = false) {
  if (ui.searchInput.value) {
    ui.searchInput.value = '';
    clearSearch();
  }
  for (const key of tabOrder) {
    const selected = key === name;
    ui.tabs[key].setAttribute('aria-selected', String(selected));
    ui.tabs[key].tabIndex = selected ? 0 : -1;
    panels[key].hidden = !selected;
  }
  document.body.dataset.tab = name;
  if (focus) ui.tabs[name].focus();
}
for (const key of tabOrder) {
  ui.tabs[key].addEventListener('click', () => selectTab(key));
  ui.tabs[key].addEventListener('keydown', (event) => {
    const index = tabOrder.indexOf(key);
    const next = { ArrowRight: 1, ArrowLeft: -1, ArrowDown: 1, ArrowUp: -1 }[event.key];
    if (next !== undefined) {
      event.preventDefault();
      selectTab(tabOrder[(index + next + tabOrder.length) % tabOrder.length], true);
    } else if (event.key === 'Home' || event.key === 'End') {
      event.preventDefault();
      selectTab(event.key === 'Home' ? tabOrder[0] : tabOrder.at(-1), true);
    }
  });
}
selectTab('chats');

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
  setText(ui.conn, s === 'open' ? '' : reconnecting ? t.offline : t.connecting);
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
    const response = await fetch('/', { method: 'HEAD', redirect: 'manual', credentials: 'same-origin', cache: 'no-store' });
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
      if (friend) { friend.status = f.status; friend.lastSeenMs = f.lastSeenMs; renderFriends(); renderHeader(); refreshDetails('friend'); }
      if (state.current?.members.some((m) => m.userId === f.userId)) {
        for (const m of state.current.members) if (m.userId === f.userId) m.status = f.status;
        refreshDetails('group');
      }
      break;
    }
    case 'FriendEventPush': loadFriends(); loadRequests(); break;
    case 'GroupEventPush': onGroupEvent(f); break;
    case 'ReadPush': onMarker(f, 'peerReadSeq'); break;
    case 'DeliveredPush': onMarker(f, 'peerDeliveredSeq'); break;
    case 'TypingPush': onTyping(f); break;
    default: break;
  }
});

async function start() {
  try {
    const hello = await connection.connect();
    const again = document.body.dataset.ready === '1';
    attempts = 0;
    state.me = { userId: hello.userId, username: hello.username, nickname: hello.nickname };
    state.assistantUserId = hello.assistantUserId;
    state.names.set(hello.userId, hello.nickname || hello.username);
    document.body.dataset.userId = String(hello.userId);
    renderMe();
    // Lists and unread counts come fresh from the server (other conversations' missed messages show as unread).
    await Promise.all([loadFriends(), loadRequests(), loadGroups(), loadConversations()]);
    // After a reconnect, catch up on the open conversation from the last seq shown: what was sent while this
    // page was away (or while its node died) arrives here; pushes racing with it are merged by seq.
    if (state.current) await catchUp();
    else await followRoute();
    document.body.dataset.ready = '1';
    if (again) document.body.dataset.reconnects = String(++reconnects);
  } catch (error) {
    console.warn('connect failed', error);
  }
}

/**
 * Sends a request; an Error answer (or a lost connection) is shown in `slot`, next to the control that asked,
 * and rethrown. Code 0 is the connection, not the server's answer: it is said in the page's language.
 */
/** What a failed request tells the user: offline when the connection is down, else the server's message. */
function errorText(error) {
  return error?.code === 0 ? t.offline : (error?.message ?? String(error));
}

async function req(type, fields, slot = ui.error) {
  try {
    return (await connection.request(type, fields)).fields;
  } catch (error) {
    if (slot) say(slot, errorText(error));
    throw error;
  }
}

function quiet(type, fields) {
  return connection.request(type, fields).catch(() => {});
}

// ------------------------------------------------------------------------------------------- names and avatars
function friendName(f) {
  return f.remark || f.nickname || f.username;
}

/** A person's name as shown alone in an element of its own (the stylesheet isolates those elements). */
function plainNameOf(userId) {
  if (userId === state.me?.userId) return state.me.nickname || state.me.username;
  return state.names.get(userId) ?? `#${userId}`;
}

// Isolated (FSI … PDI) wherever it goes into a line of text: a bidi control in a name (one stored before the
// server refused them) cannot reorder the rest of the line.
function nameOf(userId) {
  return isolate(plainNameOf(userId));
}

function isolate(name) {
  return `\u2068${name}\u2069`;
}

function avatar(name, id, extraClass = '') {
  return el('span', { class: `avatar hue-${avatarHue(id)} ${extraClass}`.trim(), 'aria-hidden': 'true', text: initials(name) });
}

function setAvatar(node, name, id) {
  node.className = `avatar hue-${avatarHue(id)}`;
  setText(node, initials(name));
}

function statusText(status, lastSeenMs) {
  if (status === 1) return t.online;
  if (status === 2) return t.away;
  if (status === 3) return t.busy;
  return lastSeenMs ? `${t.lastSeen} ${listTime(lastSeenMs, Date.now(), language, t)}` : t.offlineStatus;
}

function renderMe() {
  if (!ui.me || !state.me) return;
  // The shape the page was served with: the nickname in its own isolate, then the @username.
  const slot = ui.me.querySelector('.me-name') ?? ui.me;
  const handle = ` (@${state.me.username})`;
  if (slot.querySelector('bdi') && slot.textContent === state.me.nickname + handle) return;
  slot.replaceChildren(el('bdi', { text: state.me.nickname }), handle);
}

// ------------------------------------------------------------------------------------------- friends
async function loadFriends() {
  try {
    const { friends } = await connection.request('GetFriends').then((r) => r.fields);
    state.friends = new Map(friends.map((f) => [f.userId, f]));
    for (const f of friends) state.names.set(f.userId, friendName(f));
  } catch (error) {
    console.warn('GetFriends', error);
  }
  renderFriends();
  renderRecent();
  renderHeader();
  refreshDetails('friend');
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
  setText(document.getElementById('tab-contacts-badge'), state.requests.length > 0 ? String(state.requests.length) : '');
  if (state.requests.length === 0) {
    ui.requests.replaceChildren();
    ui.requests.hidden = true;
    return;
  }
  ui.requests.hidden = false;
  reconcile(ui.requests, state.requests, (r) => r.fromUserId, (r) => {
    const slot = el('div', { class: 'field-error', role: 'alert' });
    return el('li', { class: 'request', 'data-user-id': r.fromUserId },
      el('div', { class: 'request-who' }, avatar(r.nickname || r.username, r.fromUserId),
        el('div', {}, el('strong', { text: r.nickname || r.username }), el('span', { class: 'result', text: ` @${r.username}` }),
          r.note ? el('div', { class: 'note', text: r.note }) : null)),
      el('div', { class: 'actions' },
        el('button', { type: 'button', class: 'accept primary-button', text: t.accept, 'aria-label': `${t.accept} ${r.nickname || r.username}`, onclick: () => respond(r.fromUserId, true, slot) }),
        el('button', { type: 'button', class: 'decline', text: t.decline, 'aria-label': `${t.decline} ${r.nickname || r.username}`, onclick: () => respond(r.fromUserId, false, slot) })),
      slot);
  }, () => {});
}

async function respond(userId, accept, slot) {
  try {
    await req('FriendRespond', { userId, accept }, slot);
  } catch {
    return;
  }
  await Promise.all([loadRequests(), loadFriends(), loadConversations()]);
}

function conversationWith(kind, targetId) {
  for (const c of state.conversations.values()) if (c.kind === kind && c.targetId === targetId) return c;
  return null;
}

function isOpen(kind, targetId) {
  return state.current?.kind === kind && state.current.targetId === targetId;
}

function setBadges(node, conv, active) {
  const unread = conv && !active ? Number(conv.unread) || 0 : 0;
  const mention = conv && !active && conv.mentionCount > 0;
  setText(node.querySelector('.badge.unread'), unread > 0 ? String(unread > 99 ? '99+' : unread) : '');
  const mentionBadge = node.querySelector('.mention-badge');
  if (mentionBadge) setText(mentionBadge, mention ? '@' : '');
}

/** Friends by name: presence changes the dot, never the order. */
function renderFriends() {
  if (state.friends.size === 0) {
    ui.friends.replaceChildren(el('li', { class: 'result', text: t.noFriends }));
    return;
  }
  const sorted = [...state.friends.values()].sort((a, b) => friendName(a).localeCompare(friendName(b), language) || a.userId - b.userId);
  reconcile(ui.friends, sorted, (f) => f.userId, (f) => el('li', { class: 'friend', 'data-user-id': f.userId },
    el('a', { class: 'item', href: routeOf(KIND.direct, f.userId) },
      el('span', { class: 'avatar-wrap' }, el('span', { class: 'avatar', 'aria-hidden': 'true' }), el('span', { class: 'dot' })),
      el('span', { class: 'main' }, el('span', { class: 'name' }), el('span', { class: 'presence result' })),
      el('span', { class: 'badge unread' }))), (node, f) => {
    node.dataset.username = f.username;
    const active = isOpen(KIND.direct, f.userId);
    node.classList.toggle('active', active);
    const link = node.firstElementChild;
    if (active) link.setAttribute('aria-current', 'page'); else link.removeAttribute('aria-current');
    setAvatar(node.querySelector('.avatar'), friendName(f), f.userId);
    const dot = node.querySelector('.dot');
    dot.className = `dot${f.status > 0 ? ' online' : ''}`;
    dot.dataset.status = String(f.status);
    setText(node.querySelector('.name'), friendName(f));
    node.querySelector('.name').title = `@${f.username}`;
    setText(node.querySelector('.presence'), statusText(f.status, f.lastSeenMs));
    setBadges(node, conversationWith(KIND.direct, f.userId), active);
  });
}

/** The blocks this account made from this browser: the server has no list of them on the wire. */
function blockedSet() {
  try {
    return new Set(JSON.parse(localStorage.getItem(`chat.blocked.${state.me?.userId}`) || '[]'));
  } catch {
    return new Set();
  }
}

function rememberBlocked(userId, blocked) {
  const set = blockedSet();
  if (blocked) set.add(userId); else set.delete(userId);
  try { localStorage.setItem(`chat.blocked.${state.me?.userId}`, JSON.stringify([...set])); } catch { /* private mode */ }
}

async function setBlocked(userId, blocked, slot) {
  try {
    await req(blocked ? 'Block' : 'Unblock', { userId }, slot);
  } catch {
    return false;
  }
  rememberBlocked(userId, blocked);
  await loadFriends();
  return true;
}

/** Block or unblock; `prefix` keeps the ids apart where the finder and the friend panel are both on screen. */
function blockButtons(userId, slot, after, prefix = '') {
  const blocked = blockedSet().has(userId);
  return el('div', { class: 'row' },
    blocked ? el('span', { class: 'result', id: `${prefix}blocked-state`, text: t.blocked }) : null,
    el('button', {
      type: 'button', id: `${prefix}${blocked ? 'unblock' : 'block'}`, class: blocked ? '' : 'danger', text: blocked ? t.unblock : t.block,
      onclick: async () => { if (await setBlocked(userId, !blocked, slot)) after(); },
    }));
}

async function findUser() {
  const query = ui.findInput.value.trim();
  if (!query) return;
  ui.findResult.replaceChildren();
  let user;
  try {
    ({ user } = await connection.request('FindUser', { query }).then((r) => r.fields));
  } catch (error) {
    ui.findResult.replaceChildren(el('div', { class: 'field-error', role: 'alert', text: error?.code === 0 ? t.offline : error.message }));
    return;
  }
  showFound(user);
}

function showFound(user) {
  const slot = el('div', { class: 'field-error', role: 'alert', id: 'find-error' });
  const head = el('div', { class: 'found-who' }, avatar(user.nickname || user.username, user.userId),
    el('span', {}, el('strong', { text: user.nickname || user.username }), ` @${user.username}`));
  const found = el('div', { class: 'found', 'data-user-id': user.userId }, head);
  if (user.userId === state.me.userId) {
    found.append(el('div', { class: 'result', id: 'find-self', text: t.isSelf }));
  } else if (state.friends.has(user.userId)) {
    found.append(el('div', { class: 'row' }, el('span', { class: 'result', id: 'find-friend', text: t.alreadyFriend }),
      el('a', { class: 'button-link', id: 'find-message', href: routeOf(KIND.direct, user.userId), text: t.message })));
  } else {
    const note = el('input', { id: 'request-note', maxlength: 100, value: `${t.note} ${state.me.nickname || state.me.username}`, autocomplete: 'off' });
    const add = el('button', {
      type: 'button', id: 'send-request', class: 'primary-button', text: t.sendRequest,
      onclick: async () => {
        try {
          await req('FriendRequest', { userId: user.userId, note: note.value.trim() }, slot);
        } catch {
          return;
        }
        add.disabled = true;
        note.disabled = true;
        say(slot, t.requestSent, { ok: true, sticky: true });
        slot.classList.add('request-sent');
      },
    });
    found.append(el('label', { for: 'request-note', text: t.requestNote }), note, el('div', { class: 'row' }, add,
      blockButtons(user.userId, slot, () => showFound(user), 'find-')));
  }
  found.append(slot);
  ui.findResult.replaceChildren(found);
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
  renderRecent();
  renderHeader();
}

function renderGroups() {
  if (state.groups.size === 0) {
    ui.groups.replaceChildren(el('li', { class: 'result', text: t.noGroups }));
    return;
  }
  const sorted = [...state.groups.values()].sort((a, b) => a.name.localeCompare(b.name, language) || a.groupId - b.groupId);
  reconcile(ui.groups, sorted, (g) => g.groupId, (g) => el('li', { class: 'group', 'data-group-id': g.groupId },
    el('a', { class: 'item', href: routeOf(KIND.group, g.groupId) },
      el('span', { class: 'avatar group-avatar', 'aria-hidden': 'true' }),
      el('span', { class: 'main' }, el('span', { class: 'name' })),
      el('span', { class: 'badge mention-badge' }), el('span', { class: 'badge unread' }))), (node, g) => {
    const active = isOpen(KIND.group, g.groupId);
    node.classList.toggle('active', active);
    const link = node.firstElementChild;
    if (active) link.setAttribute('aria-current', 'page'); else link.removeAttribute('aria-current');
    setAvatar(node.querySelector('.avatar'), g.name, g.groupId);
    node.querySelector('.avatar').classList.add('group-avatar');
    setText(node.querySelector('.name'), `${isolate(g.name)} (${g.memberCount} ${t.members})`);
    setBadges(node, conversationWith(KIND.group, g.groupId), active);
  });
}

function toggleGroupForm(open) {
  groupForm.hidden = !open;
  groupNew.setAttribute('aria-expanded', String(open));
  if (open) {
    renderGroupPicker();
    say(ui.groupError, '');
    ui.groupName.focus();
  } else {
    groupNew.focus();
  }
}

/** People only: the assistant is everyone's friend but cannot be a group member. */
function pickableFriends(exclude = new Set()) {
  return [...state.friends.values()]
    .filter((f) => f.userId !== state.assistantUserId && !exclude.has(f.userId))
    .sort((a, b) => friendName(a).localeCompare(friendName(b), language));
}

function pickerOf(friends, idPrefix) {
  return friends.map((f) => el('label', { class: 'pick', for: `${idPrefix}-${f.userId}` },
    el('input', { type: 'checkbox', id: `${idPrefix}-${f.userId}`, value: f.userId, 'data-username': f.username }),
    avatar(friendName(f), f.userId, 'small'),
    el('span', { class: 'name', text: friendName(f) })));
}

function renderGroupPicker() {
  ui.groupMembers.replaceChildren(...pickerOf(pickableFriends(), 'pick'));
}

groupForm.addEventListener('submit', async (event) => {
  event.preventDefault();
  const name = ui.groupName.value.trim();
  if (!name) {
    say(ui.groupError, t.groupNameRequired, { sticky: true });
    ui.groupName.setAttribute('aria-invalid', 'true');
    ui.groupName.focus();
    return;
  }
  ui.groupName.removeAttribute('aria-invalid');
  const memberIds = [...ui.groupMembers.querySelectorAll('input:checked')].map((i) => Number(i.value));
  let group;
  try {
    ({ group } = await req('GroupCreate', { name, memberIds }, ui.groupError));
  } catch {
    return;
  }
  ui.groupName.value = '';
  groupForm.hidden = true;
  groupNew.setAttribute('aria-expanded', 'false');
  state.groups.set(group.groupId, group);
  renderGroups();
  navigate(KIND.group, group.groupId);
});

function onGroupEvent(f) {
  loadGroups();
  loadConversations();
  const current = state.current;
  if (!current || current.kind !== KIND.group || current.targetId !== f.group.groupId) return;
  if (f.kind === 2 || f.kind === 4) {
    // Removed from the group, or the group dismissed: the history stays readable, sending is over.
    current.gone = true;
    setComposerEnabled(false);
    say(ui.error, t.groupGone, { sticky: true });
    if (state.details === 'group') closeDetails(false);
  } else {
    loadMembers(current);
  }
}

// A list that could not be loaded says why in the group's details, and opening them again asks once more.
function loadMembers(current) {
  return req('GetGroupMembers', { groupId: current.targetId }, null).then(({ members }) => {
    if (state.current !== current) return;
    current.members = members;
    current.membersLoaded = true;
    current.membersError = null;
    for (const m of members) if (!state.names.has(m.userId) || !state.friends.has(m.userId)) state.names.set(m.userId, m.nickname || m.username);
    refreshDetails('group');
    renderHeader();
  }).catch((error) => {
    if (state.current !== current) return;
    current.membersError = errorText(error);
    refreshDetails('group');
  });
}

// ------------------------------------------------------------------------------------------- recent chats
async function loadConversations() {
  try {
    const { conversations } = (await connection.request('GetConversations')).fields;
    state.conversations = new Map(conversations.map((c) => [c.conversationId, c]));
    const current = state.current;
    const fresh = current && state.conversations.get(current.conv.conversationId);
    if (fresh) {
      // The open conversation keeps one entry: markers only move forward (a MarkRead may still be on its way).
      for (const key of ['readSeq', 'lastSeq', 'peerReadSeq', 'peerDeliveredSeq']) fresh[key] = Math.max(fresh[key] || 0, current.conv[key] || 0);
      fresh.unread = Math.max(0, fresh.lastSeq - fresh.readSeq);
      current.conv = fresh;
    }
  } catch (error) {
    console.warn('GetConversations', error);
  }
  renderLists();
}

function renderLists() {
  renderRecent();
  renderFriends();
  renderGroups();
  renderAttention();
}

function titleOf(conv) {
  if (conv.kind === KIND.group) return state.groups.get(conv.targetId)?.name || conv.title;
  const friend = state.friends.get(conv.targetId);
  return friend ? friendName(friend) : conv.title;
}

function renderRecent() {
  const conversations = recentOrder([...state.conversations.values()]);
  if (conversations.length === 0) {
    ui.recent.replaceChildren(el('li', { class: 'result empty-list', text: t.noChats }));
    return;
  }
  const now = Date.now();
  reconcile(ui.recent, conversations, (c) => c.conversationId, (c) => el('li', { class: 'chat', 'data-conversation-id': c.conversationId },
    el('a', { class: 'item', href: routeOf(c.kind, c.targetId) },
      el('span', { class: 'avatar', 'aria-hidden': 'true' }),
      el('span', { class: 'main' },
        el('span', { class: 'line' }, el('span', { class: 'name' }), el('span', { class: 'time' })),
        el('span', { class: 'line' }, el('span', { class: 'preview' }), el('span', { class: 'badge mention-badge' }), el('span', { class: 'badge unread' }))))), (node, c) => {
    const active = isOpen(c.kind, c.targetId);
    node.classList.toggle('active', active);
    node.dataset.kind = String(c.kind);
    node.dataset.targetId = String(c.targetId);
    const link = node.firstElementChild;
    if (active) link.setAttribute('aria-current', 'page'); else link.removeAttribute('aria-current');
    const title = titleOf(c);
    setAvatar(node.querySelector('.avatar'), title, c.targetId);
    node.querySelector('.avatar').classList.toggle('group-avatar', c.kind === KIND.group);
    setText(node.querySelector('.name'), title);
    setText(node.querySelector('.time'), listTime(c.lastMessage?.sentAtMs, now, language, t));
    setText(node.querySelector('.preview'), previewOf(c.lastMessage, { myUserId: state.me?.userId, group: c.kind === KIND.group, nameOf, t }));
    setBadges(node, c, active && document.visibilityState === 'visible');
    node.classList.toggle('has-unread', !active && c.unread > 0);
  });
}

// ------------------------------------------------------------------------------------------- attention
/** The tab title counts what is unread; the chats tab shows it too. */
function renderAttention() {
  const reading = state.current && document.visibilityState === 'visible' ? state.current.conv.conversationId : null;
  const unread = totalUnread([...state.conversations.values()], reading);
  const title = titleWithUnread(baseTitle, unread);
  if (document.title !== title) document.title = title;
  setText(document.getElementById('tab-chats-badge'), unread > 0 ? String(unread > 99 ? '99+' : unread) : '');
  renderNotifyToggle();
}

function renderNotifyToggle() {
  const supported = 'Notification' in window;
  ui.notify.hidden = !supported || Notification.permission !== 'default';
  setText(ui.notify, t.notifyOn);
  setText(ui.notifyNote, !supported ? '' : Notification.permission === 'granted' ? t.notifyOff : Notification.permission === 'denied' ? t.notifyDenied : '');
}

// Asked only from the user's own click, never on load: browsers (rightly) distrust pages that ask unprompted.
ui.notify.addEventListener('click', async () => {
  try { await Notification.requestPermission(); } catch { /* an old browser's callback form: nothing to do */ }
  renderNotifyToggle();
});

/** A desktop notification for a message from someone else while this tab is hidden. */
function notify(m, conv) {
  if (!('Notification' in window) || Notification.permission !== 'granted' || document.visibilityState !== 'hidden') return;
  const title = conv ? titleOf(conv) : plainNameOf(m.senderId);
  const body = previewOf(m, { myUserId: state.me.userId, group: m.kind === KIND.group, nameOf, t });
  try {
    const shown = new Notification(title || t.newMessage, { body, tag: `conversation-${m.conversationId}`, lang: language });
    shown.onclick = () => {
      window.focus();
      navigate(m.kind, m.kind === KIND.group ? m.targetId : (conv?.targetId ?? m.senderId));
      shown.close();
    };
  } catch (error) {
    console.warn('notification', error);
  }
}

// ------------------------------------------------------------------------------------------- search
// Results as you type: a search SEARCH_DEBOUNCE_MS after the last keystroke, only the newest answer shown (serial),
// grouped by conversation; a click opens the conversation around the hit with the hit marked (showAround).
ui.searchInput.addEventListener('input', () => {
  clearTimeout(state.search.timer);
  const text = ui.searchInput.value;
  if (!text.trim()) { clearSearch(); return; }
  state.search.timer = setTimeout(() => runSearch(text), SEARCH_DEBOUNCE_MS);
});
ui.searchInput.addEventListener('keydown', (event) => {
  if (event.key === 'Escape') { ui.searchInput.value = ''; clearSearch(); }
});
ui.searchMore.addEventListener('click', () => runSearch(state.search.text, true));
ui.searchResults.append(ui.searchStatus, ui.searchList, ui.searchMore);

function showSearchPanel(open) {
  ui.searchResults.hidden = !open;
  const selected = tabOrder.find((key) => ui.tabs[key].getAttribute('aria-selected') === 'true');
  for (const key of tabOrder) panels[key].hidden = open || key !== selected;
  document.body.dataset.searching = open ? '1' : '';
}

function clearSearch() {
  clearTimeout(state.search.timer);
  state.search = { text: '', hits: [], more: false, serial: state.search.serial + 1, timer: 0 };
  ui.searchList.replaceChildren();
  say(ui.searchStatus, '');
  ui.searchMore.hidden = true;
  showSearchPanel(false);
}

async function runSearch(text, nextPage = false) {
  const serial = ++state.search.serial;
  const before = nextPage ? state.search.hits.at(-1)?.messageId ?? 0 : 0;
  showSearchPanel(true);
  let results;
  try {
    results = (await connection.request('Search', { query: text, conversationId: 0, beforeMessageId: before, limit: SEARCH_PAGE })).fields;
  } catch (error) {
    if (serial !== state.search.serial) return;
    // The server's words for a query it cannot run (too short, nothing to search), in the page's language.
    state.search = { ...state.search, text, hits: [], more: false };
    ui.searchList.replaceChildren();
    ui.searchMore.hidden = true;
    say(ui.searchStatus, errorText(error));
    return;
  }
  if (serial !== state.search.serial) return;
  const hits = nextPage ? [...state.search.hits, ...results.hits] : results.hits;
  state.search = { ...state.search, text, hits, more: results.more };
  renderSearch();
}

function renderSearch() {
  const { hits, more } = state.search;
  say(ui.searchStatus, hits.length === 0 ? t.searchNone : '');
  ui.searchMore.hidden = !more;
  ui.searchList.replaceChildren(...groupHits(hits).map((group) => {
    const conv = state.conversations.get(group.conversationId) ?? { kind: group.kind, targetId: group.targetId, title: '' };
    const title = titleOf(conv) || (group.kind === KIND.group ? '' : plainNameOf(group.targetId));
    return el('section', { class: 'search-group', 'data-conversation-id': group.conversationId },
      el('h3', { class: 'search-title' }, el('span', { class: 'name', text: title })),
      el('ul', { class: 'list' }, group.hits.map((hit) => el('li', {},
        el('button', {
          type: 'button', class: 'item search-hit', 'data-message-id': hit.messageId, 'data-seq': hit.seq,
          onclick: () => jumpTo(hit),
        },
        el('span', { class: 'main' },
          el('span', { class: 'line' }, el('span', { class: 'sender', text: plainNameOf(hit.senderId) }),
            el('span', { class: 'time', text: listTime(hit.sentAtMs, Date.now(), language, t) })),
          el('span', { class: 'snippet' }, snippetParts(hit.snippet, hit.highlights).map((part) =>
            (part.mark ? el('mark', { text: part.text }) : part.text)))))))));
  }));
}

async function jumpTo(hit) {
  if (isOpen(hit.kind, hit.targetId) && state.current) {
    await showAround(state.current, hit.seq);
    document.body.dataset.view = 'conversation';
    markRead();
    return;
  }
  state.jump = { conversationId: hit.conversationId, seq: hit.seq };
  navigate(hit.kind, hit.targetId);
}

// ------------------------------------------------------------------------------------------- routing
function navigate(kind, targetId) {
  const route = routeOf(kind, targetId);
  if (location.hash !== route) location.hash = route;
  else followRoute();
}

let routeChanges = 0;
window.addEventListener('hashchange', () => { routeChanges += 1; followRoute(); });

async function followRoute() {
  if (!state.me) return;
  const route = parseRoute(location.hash);
  if (!route) {
    if (state.current) leaveConversation();
    return;
  }
  if (isOpen(route.kind, route.targetId)) {
    document.body.dataset.view = state.details && narrow.matches ? 'details' : 'conversation';
    return;
  }
  await openConversation(route.kind, route.targetId);
}

ui.back.addEventListener('click', () => {
  if (state.details && narrow.matches) { closeDetails(true); return; }
  // Back where the user came from when that was this page; a conversation opened from a link starts a fresh list.
  if (routeChanges > 0 && history.length > 1) history.back();
  else { history.replaceState(null, '', location.pathname + location.search); leaveConversation(); }
});

function leaveConversation() {
  saveDraft();
  state.current = null;
  closeDetails(false);
  showEmptyConversation();
  document.body.dataset.view = 'list';
  delete document.body.dataset.conversationId;
  renderLists();
}

function showEmptyConversation() {
  setText(ui.title, '');
  setText(ui.sub, '');
  setText(ui.typing, '');
  ui.convAvatar.hidden = true;
  ui.info.hidden = true;
  ui.messages.replaceChildren(el('p', { class: 'empty', text: t.noConversation }));
  ui.input.value = '';
  setComposerEnabled(false);
}

// ------------------------------------------------------------------------------------------- conversations
function setComposerEnabled(enabled) {
  ui.input.disabled = !enabled;
  ui.sendButton.disabled = !enabled;
  ui.emojiButton.disabled = !enabled;
  ui.attachButton.disabled = !enabled;
  if (!enabled) emojiPanel.close();
}

function renderHeader() {
  const current = state.current;
  if (!current) return;
  const conv = current.conv;
  const title = titleOf(conv);
  setText(ui.title, title);
  ui.convAvatar.hidden = false;
  setAvatar(ui.convAvatar, title, conv.targetId);
  ui.convAvatar.classList.toggle('group-avatar', conv.kind === KIND.group);
  ui.info.hidden = false;
  if (conv.kind === KIND.group) {
    const group = state.groups.get(conv.targetId);
    setText(ui.sub, group ? `${group.memberCount} ${t.members}` : '');
  } else {
    const friend = state.friends.get(conv.targetId);
    setText(ui.sub, friend ? statusText(friend.status, friend.lastSeenMs) : '');
  }
}

async function openConversation(kind, targetId) {
  const key = `${kind}:${targetId}`;
  if (state.opening === key) return;
  state.opening = key;
  let conv;
  try {
    conv = (await req('OpenConversation', { kind, targetId }, ui.error)).conversation;
  } catch {
    return;
  } finally {
    if (state.opening === key) state.opening = null;
  }
  // Another route won while this one was opening.
  const route = parseRoute(location.hash);
  if (route && (route.kind !== kind || route.targetId !== targetId)) return;
  saveDraft();
  conv = { ...(state.conversations.get(conv.conversationId) ?? {}), ...conv };
  state.conversations.set(conv.conversationId, conv);
  const current = { conv, kind, targetId, members: [], oldestSeq: 0, more: true, newestSeq: 0, moreAfter: false, loading: false, bySeq: new Map(), byId: new Map(), gone: false };
  state.current = current;
  document.body.dataset.conversationId = String(conv.conversationId);
  document.body.dataset.view = 'conversation';
  if (state.details === 'friend' || state.details === 'group') closeDetails(false);
  renderHeader();
  setText(ui.typing, '');
  say(ui.error, '');
  ui.messages.replaceChildren();
  setComposerEnabled(true);
  ui.input.value = loadDraft();
  // On a phone the keyboard would cover the history at once: focus the composer only where there is room.
  if (!narrow.matches) ui.input.focus();
  renderLists();
  if (kind === KIND.group) loadMembers(current);
  const jump = state.jump?.conversationId === conv.conversationId ? state.jump : null;
  state.jump = null;
  if (jump) await showAround(current, jump.seq);
  else {
    await loadOlder();
    scrollToBottom();
  }
  markRead();
}

/**
 * Opens the conversation in context around one message (a search hit, docs/protocol.md 7.13): History up to and
 * including it, Sync after it; the message is marked and scrolled to the middle. Older messages load on scrolling
 * up as usual, newer ones on scrolling down until the window reaches the end.
 */
async function showAround(current, seq) {
  current.bySeq.clear();
  current.byId.clear();
  ui.messages.replaceChildren();
  current.loading = true;
  try {
    const conversationId = current.conv.conversationId;
    const [before, after] = await Promise.all([
      req('History', { conversationId, beforeSeq: seq + 1, limit: HISTORY_PAGE }),
      req('Sync', { conversationId, afterSeq: seq, limit: HISTORY_PAGE }),
    ]);
    if (state.current !== current) return;
    current.more = before.more;
    current.moreAfter = after.more;
    const messages = [...before.messages, ...after.messages];
    current.oldestSeq = messages[0]?.seq ?? seq;
    current.newestSeq = messages.at(-1)?.seq ?? seq;
    ui.messages.append(...messages.map(renderMessage).filter(Boolean));
    for (const m of messages) if (m.flags & FLAGS.recallNotice) applyRecall(m.text);
    regroup();
  } catch {
    return; // shown by req()
  } finally {
    current.loading = false;
  }
  for (const old of ui.messages.querySelectorAll('.found')) old.classList.remove('found');
  const target = current.bySeq.get(seq);
  if (target) {
    target.classList.add('found');
    target.tabIndex = -1;
    target.scrollIntoView({ block: 'center' });
    target.focus({ preventScroll: true });
  }
}

/** Back to the newest messages (after a send from a window opened at a search hit). */
async function showLatest(current) {
  current.bySeq.clear();
  current.byId.clear();
  ui.messages.replaceChildren();
  Object.assign(current, { oldestSeq: 0, more: true, newestSeq: 0, moreAfter: false });
  await loadOlder();
  scrollToBottom();
}

// One page at a time per open conversation, while `more` (the flag named) says there is one; errors are shown by req().
async function loadPage(more, load) {
  const current = state.current;
  if (!current || current.loading || !current[more]) return;
  current.loading = true;
  try {
    await load(current);
  } catch {
    // shown by req()
  } finally {
    current.loading = false;
  }
}

async function loadNewer() {
  await loadPage('moreAfter', async (current) => {
    const batch = await req('Sync', { conversationId: current.conv.conversationId, afterSeq: current.newestSeq, limit: HISTORY_PAGE });
    if (state.current !== current) return;
    current.moreAfter = batch.more && batch.messages.length > 0;
    for (const m of batch.messages) {
      const node = renderMessage(m);
      if (node) ui.messages.append(node);
      current.newestSeq = Math.max(current.newestSeq, m.seq);
    }
    for (const m of batch.messages) if (m.flags & FLAGS.recallNotice) applyRecall(m.text);
    regroup();
  });
  markRead();
}

function loadOlder() {
  return loadPage('more', async (current) => {
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
    regroup();
    // Keep the reader's place when older messages appear above.
    ui.messages.scrollTop += ui.messages.scrollHeight - previousHeight;
    const last = batch.messages.at(-1);
    if (last) quiet('MarkDelivered', { conversationId: current.conv.conversationId, seq: last.seq });
  });
}

ui.messages.addEventListener('scroll', () => {
  if (ui.messages.scrollTop < 40) loadOlder();
  else if (ui.messages.scrollHeight - ui.messages.scrollTop - ui.messages.clientHeight < 40) loadNewer();
});

async function catchUp() {
  const current = state.current;
  // A window opened at a search hit catches up by scrolling down (loadNewer), not all at once.
  if (current.moreAfter) return;
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

function formatTime(ms) {
  return new Date(ms).toLocaleTimeString(language, { hour: '2-digit', minute: '2-digit' });
}

function isMine(m) {
  return m.senderId === state.me?.userId && !(m.flags & FLAGS.assistant);
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
    node.message = m;
    current.bySeq.set(m.seq, node);
    return node;
  }
  const mine = isMine(m);
  const mentioned = (m.mentions || []).some((id) => id === 0 || id === state.me.userId) && !mine;
  const classes = ['msg', mine ? 'mine' : 'theirs'];
  if (m.flags & FLAGS.assistant) classes.push('assistant');
  if (mentioned) classes.push('mention');
  const sender = plainNameOf(m.senderId);
  const when = new Date(m.sentAtMs);
  const bubble = el('div', { class: 'bubble', title: when.toLocaleString(language) });
  bubble.textContent = m.text;
  if (m.attachment && !(m.flags & FLAGS.recalled)) {
    // The attachment first, its caption (the message's text, if any) under it.
    bubble.textContent = '';
    bubble.classList.add('with-attachment');
    bubble.append(renderAttachment(m.attachment, { t, onOpen: (a) => viewer.open(a) }));
    if (m.text) bubble.append(el('div', { class: 'caption', text: m.text }));
  }
  const status = el('span', { class: 'status' });
  const node = el('div', { class: classes.join(' '), 'data-seq': m.seq, 'data-message-id': m.messageId, 'data-sender-id': m.senderId },
    avatar(sender, m.flags & FLAGS.assistant ? -1 : m.senderId),
    el('div', { class: 'stack' },
      el('span', { class: 'meta' }, el('span', { class: 'sender', text: sender }), el('span', { class: 'sep', 'aria-hidden': 'true', text: ' · ' }),
        el('time', { datetime: when.toISOString(), text: formatTime(m.sentAtMs) })),
      bubble, status));
  if (mine) {
    status.append(el('span', { class: 'tick' }));
    if (canRecall(m, state.me.userId, Date.now())) {
      const button = el('button', {
        type: 'button', class: 'recall', text: t.recall, 'aria-label': `${t.recall}: ${m.text.slice(0, 40)}`,
        onclick: () => req('Recall', { conversationId: m.conversationId, messageId: m.messageId }).then(() => applyRecall(m.messageId)).catch(() => {}),
      });
      status.append(button);
      setTimeout(() => button.remove(), Math.max(0, m.sentAtMs + RECALL_WINDOW_MS - Date.now()));
    }
  }
  node.message = m;
  current.bySeq.set(m.seq, node);
  current.byId.set(String(m.messageId), node);
  if (m.flags & FLAGS.recalled) showRecalled(node);
  updateTick(node);
  return node;
}

function updateTick(node) {
  const tick = node?.querySelector?.('.tick');
  const conv = state.current?.conv;
  if (!tick || !conv) return;
  if (conv.kind !== KIND.direct) { setText(tick, t.sent); tick.dataset.tick = 'sent'; return; }
  const kind = tickFor(node.message.seq, conv.peerDeliveredSeq, conv.peerReadSeq);
  setText(tick, t[kind]);
  tick.className = `tick ${kind}`;
  tick.dataset.tick = kind;
}

/** A recalled message reads as a notice saying who recalled it (only the sender can). */
function showRecalled(node) {
  const m = node.message;
  node.classList.add('recalled');
  node.classList.remove('mention');
  const bubble = node.querySelector('.bubble');
  bubble.textContent = recalledText(isMine(m), nameOf(m.senderId), t);
  bubble.removeAttribute('title');
  node.querySelector('.recall')?.remove();
  node.querySelector('.tick')?.remove();
}

/** Message ids are compared as decimal strings: a recall notice carries the id as text. */
function applyRecall(messageId) {
  const node = state.current?.byId.get(String(messageId));
  if (!node) return;
  node.message = { ...node.message, flags: node.message.flags | FLAGS.recalled };
  showRecalled(node);
  regroup();
}

/** Puts a message element in seq order among those shown (a live push can overtake the catch-up's Sync). */
function insertBySeq(node, seq) {
  const shown = [...ui.messages.children].filter((child) => child.dataset.seq !== undefined);
  const index = insertionIndex(shown.map((child) => Number(child.dataset.seq)), seq);
  ui.messages.insertBefore(node, shown[index] ?? null);
}

/**
 * Runs and days: a message that continues its sender's run drops the repeated name, avatar and time (class
 * "cont"); the last of a run keeps the tick ("run-end"); a date line goes wherever the day changes.
 */
function regroup() {
  for (const old of ui.messages.querySelectorAll('.day-separator')) old.remove();
  let previous = null;
  let previousNode = null;
  const now = Date.now();
  for (const node of [...ui.messages.children]) {
    const m = node.message;
    if (!m) continue;
    if (!previous || dayKey(previous.sentAtMs) !== dayKey(m.sentAtMs)) {
      ui.messages.insertBefore(el('div', { class: 'day-separator', role: 'separator', 'aria-label': dayLabel(m.sentAtMs, now, language, t) },
        el('span', { text: dayLabel(m.sentAtMs, now, language, t) })), node);
    }
    const grouped = node.classList.contains('msg') && !(m.flags & FLAGS.recalled);
    const continues = grouped && previousNode?.classList.contains('msg') && !(previous.flags & FLAGS.recalled) && continuesRun(previous, m);
    node.classList.toggle('cont', Boolean(continues));
    node.classList.toggle('first', grouped && !continues);
    if (previousNode) previousNode.classList.toggle('run-end', !continues);
    previous = m;
    previousNode = node;
  }
  previousNode?.classList.add('run-end');
}

function scrollToBottom() {
  ui.messages.scrollTop = ui.messages.scrollHeight;
}

function markRead() {
  const current = state.current;
  if (!current || document.visibilityState === 'hidden') {
    // Nobody is reading: what arrived stays unread (and counts in the title).
    renderLists();
    return;
  }
  const conv = current.conv;
  const lastSeq = Math.max(0, ...[...current.bySeq.keys()]);
  if (lastSeq > (conv.readSeq || 0)) {
    conv.readSeq = lastSeq;
    quiet('MarkRead', { conversationId: conv.conversationId, seq: lastSeq });
  }
  conv.unread = Math.max(0, (conv.lastSeq || 0) - (conv.readSeq || 0));
  conv.mentionCount = 0;
  renderLists();
}
document.addEventListener('visibilitychange', () => { markRead(); renderAttention(); });
window.addEventListener('focus', markRead);

function onMessage(m) {
  const current = state.current;
  const mine = isMine(m);
  if (!mine) quiet('MarkDelivered', { conversationId: m.conversationId, seq: m.seq });
  const conv = state.conversations.get(m.conversationId);
  if (!conv) {
    loadConversations();
  } else if (m.seq > (conv.lastSeq || 0) || !conv.lastMessage) {
    conv.lastSeq = Math.max(conv.lastSeq || 0, m.seq);
    conv.lastMessage = m;
  }
  const counts = !mine && !(m.flags & FLAGS.recallNotice) && m.seq > (conv?.readSeq || 0);
  const open = current && current.conv.conversationId === m.conversationId;
  if (conv && mine) {
    // Writing (from any of my devices) moves my read marker there, as the server does.
    conv.readSeq = Math.max(conv.readSeq || 0, m.seq);
    conv.mentionCount = 0;
  }
  if (open && current.moreAfter) {
    // Below the window opened at a search hit: it comes with the rest when the reader scrolls down.
  } else if (open) {
    current.newestSeq = Math.max(current.newestSeq, m.seq);
    const nearBottom = ui.messages.scrollHeight - ui.messages.scrollTop - ui.messages.clientHeight < 80;
    const node = renderMessage(m);
    if (node) { insertBySeq(node, m.seq); regroup(); }
    if (m.flags & FLAGS.recallNotice) applyRecall(m.text);
    if (!mine) clearTyping(m.senderId);
    if (nearBottom || mine) scrollToBottom();
  }
  if (conv) {
    // The server's own rule: unread = last seq - read marker (never a counter that could drift from it).
    conv.unread = Math.max(0, (conv.lastSeq || 0) - (conv.readSeq || 0));
    if (counts && (m.mentions || []).some((id) => id === 0 || id === state.me.userId)) conv.mentionCount = (conv.mentionCount || 0) + 1;
  }
  if (counts && !(m.flags & FLAGS.system)) notify(m, conv);
  if (open) markRead();
  else renderLists();
}

function onMarker(f, field) {
  if (f.userId === state.me?.userId) {
    // My other tab or device read this far: the badges here follow.
    if (field !== 'peerReadSeq') return;
    const conv = state.conversations.get(f.conversationId);
    if (!conv) return;
    const { conv: next, exact } = afterOwnRead(conv, f.seq);
    Object.assign(conv, next);
    if (exact) renderLists(); else loadConversations();
    return;
  }
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
  setText(ui.typing, state.current.conv.kind === KIND.group ? `${nameOf(f.userId)} ${t.typing}` : t.typing);
  clearTimeout(state.typingTimers.get(f.userId));
  state.typingTimers.set(f.userId, setTimeout(() => clearTyping(f.userId), 4000));
}

function clearTyping(userId) {
  clearTimeout(state.typingTimers.get(userId));
  state.typingTimers.delete(userId);
  if (state.typingTimers.size === 0) setText(ui.typing, '');
}

// ------------------------------------------------------------------------------------------- drafts
function currentDraftKey() {
  const current = state.current;
  return current && state.me ? draftKey(state.me.userId, current.kind, current.targetId) : null;
}

function saveDraft() {
  const key = currentDraftKey();
  if (!key) return;
  try {
    if (ui.input.value.trim()) localStorage.setItem(key, ui.input.value);
    else localStorage.removeItem(key);
  } catch { /* storage full or disabled: the draft lives as long as the page */ }
}

function loadDraft() {
  const key = currentDraftKey();
  try {
    return (key && localStorage.getItem(key)) || '';
  } catch {
    return '';
  }
}
window.addEventListener('pagehide', saveDraft);

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
  if (!current || !text || current.gone) return;
  const mentions = current.conv.kind === KIND.group ? mentionIds(` ${text}`, mentionCandidates()) : [];
  // Sending again what a lost connection left unacknowledged reuses its id: the server may have stored it
  // (the ack was what got lost), and the same clientMessageId is answered with the stored copy, not a second one.
  const unacked = state.unacked;
  const clientMessageId = unacked && unacked.conversationId === current.conv.conversationId && unacked.text === text
    ? unacked.clientMessageId : newClientMessageId();
  state.unacked = null;
  ui.input.value = '';
  saveDraft();
  hideMentionMenu();
  emojiPanel.close();
  try {
    const ack = await req('Send', { kind: current.conv.kind, targetId: current.conv.targetId, clientMessageId, text, mentions });
    if (state.current !== current) return;
    if (current.moreAfter) {
      // Sent from a window in the past: show the end of the conversation, where the new message is.
      await showLatest(current);
      markRead();
      return;
    }
    onMessage({
      conversationId: ack.conversationId, kind: current.conv.kind, targetId: current.conv.targetId, messageId: ack.messageId,
      seq: ack.seq, senderId: state.me.userId, clientMessageId, sentAtMs: ack.sentAtMs, flags: 0, text, mentions,
    });
  } catch (error) {
    // Keep what was typed so it can be sent again. An Error answer means it was not stored (a new id next time);
    // a lost connection leaves it unknown, so the id is kept for a resend of the same text.
    if (!ui.input.value) ui.input.value = text;
    saveDraft();
    if (error?.code === 0) state.unacked = { conversationId: current.conv.conversationId, text, clientMessageId };
  }
}

function insertAtCaret(text) {
  const start = ui.input.selectionStart ?? ui.input.value.length;
  const end = ui.input.selectionEnd ?? start;
  ui.input.value = ui.input.value.slice(0, start) + text + ui.input.value.slice(end);
  const caret = start + text.length;
  ui.input.focus();
  ui.input.setSelectionRange(caret, caret);
  saveDraft();
}

ui.sendButton.addEventListener('click', send);
ui.input.addEventListener('keydown', (event) => {
  const menuOpen = !ui.mentionMenu.hidden;
  if (menuOpen && (event.key === 'ArrowDown' || event.key === 'ArrowUp')) {
    event.preventDefault();
    moveMentionSelection(event.key === 'ArrowDown' ? 1 : -1);
  } else if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
    event.preventDefault();
    const chosen = menuOpen ? (ui.mentionMenu.querySelector('[aria-selected="true"]') ?? ui.mentionMenu.querySelector('li')) : null;
    if (chosen) chosen.click();
    else send();
  } else if (event.key === 'Escape') {
    hideMentionMenu();
  }
});
ui.input.addEventListener('input', () => {
  const current = state.current;
  if (!current) return;
  saveDraft();
  const now = Date.now();
  if (now - state.lastTypingSent > 2000 && ui.input.value.trim() !== '') {
    state.lastTypingSent = now;
    quiet('Typing', { conversationId: current.conv.conversationId });
  }
  showMentionMenu();
});

function showMentionMenu() {
  const query = mentionQuery(ui.input.value, ui.input.selectionStart);
  const candidates = query === null ? [] : mentionCandidates().filter((c) => c.name.toLowerCase().startsWith(query.toLowerCase()));
  if (candidates.length === 0) { hideMentionMenu(); return; }
  ui.mentionMenu.replaceChildren(...candidates.map((c, index) => el('li', {
    'data-user-id': c.userId, text: c.name, role: 'option', id: `mention-${c.userId}`, 'aria-selected': index === 0 ? 'true' : 'false',
    onclick: () => {
      const { text, caret } = insertMention(ui.input.value, ui.input.selectionStart, c.name);
      ui.input.value = text;
      ui.input.setSelectionRange(caret, caret);
      hideMentionMenu();
      ui.input.focus();
    },
  })));
  ui.mentionMenu.hidden = false;
  ui.input.setAttribute('aria-activedescendant', ui.mentionMenu.firstElementChild.id);
}

function moveMentionSelection(step) {
  const options = [...ui.mentionMenu.children];
  const index = options.findIndex((o) => o.getAttribute('aria-selected') === 'true');
  const next = (index + step + options.length) % options.length;
  options.forEach((o, i) => o.setAttribute('aria-selected', String(i === next)));
  ui.input.setAttribute('aria-activedescendant', options[next].id);
}

function hideMentionMenu() {
  ui.mentionMenu.hidden = true;
  ui.input.removeAttribute('aria-activedescendant');
}

// ------------------------------------------------------------------------------------------- pictures and files
// Chosen with the 📎 button, dropped on the conversation or pasted into the composer: each file is uploaded with a
// progress bar in the timeline, then sent as a message of its own; a refusal stays there with the server's reason.
ui.attachButton.addEventListener('click', () => ui.fileInput.click());
ui.fileInput.addEventListener('change', () => {
  const files = [...ui.fileInput.files];
  ui.fileInput.value = '';
  for (const file of files) sendFile(file);
});
const conversationPane = document.getElementById('conversation');
conversationPane.addEventListener('dragover', (event) => {
  if (!state.current || state.current.gone || !event.dataTransfer?.types.includes('Files')) return;
  event.preventDefault();
  event.dataTransfer.dropEffect = 'copy';
  conversationPane.classList.add('dropping');
});
conversationPane.addEventListener('dragleave', (event) => {
  if (!conversationPane.contains(event.relatedTarget)) conversationPane.classList.remove('dropping');
});
conversationPane.addEventListener('drop', (event) => {
  conversationPane.classList.remove('dropping');
  if (!state.current || state.current.gone || !event.dataTransfer?.files.length) return;
  event.preventDefault();
  for (const file of [...event.dataTransfer.files]) sendFile(file);
});
ui.input.addEventListener('paste', (event) => {
  const files = [...(event.clipboardData?.files ?? [])];
  if (files.length === 0) return; // text pastes as text
  event.preventDefault();
  for (const file of files) sendFile(file);
});

/** Resolves once the page is connected and signed in again (after a drop, start() reconnects on its own). */
function whenConnected() {
  return new Promise((resolve) => {
    const check = () => (connection.socket?.readyState === WebSocket.OPEN && document.body.dataset.connection === 'open' ? resolve() : setTimeout(check, 250));
    check();
  });
}

async function sendFile(file) {
  const current = state.current;
  if (!current || current.gone) return;
  const { kind, targetId } = current.conv;
  const abort = new AbortController();
  const progress = el('progress', { max: 1, value: 0, 'aria-label': `${t.uploading}: ${file.name}` });
  const status = el('span', { class: 'upload-status', text: t.uploading });
  const cancel = el('button', { type: 'button', class: 'link-button', text: t.cancel, onclick: () => abort.abort() });
  const card = el('div', { class: 'msg mine uploading', 'data-upload': file.name },
    el('div', { class: 'stack' }, el('div', { class: 'bubble upload-card' },
      el('span', { class: 'file-name', text: file.name }),
      el('span', { class: 'file-meta', text: formatSize(file.size) }),
      progress, el('span', { class: 'upload-line' }, status, cancel))));
  ui.messages.append(card);
  scrollToBottom();
  try {
    const attachment = await uploadFile(connection, file, {
      signal: abort.signal,
      whenConnected,
      onProgress: (sent, size) => { progress.value = size === 0 ? 1 : sent / size; },
    });
    const clientMessageId = newClientMessageId();
    const ack = await req('Send', { kind, targetId, clientMessageId, text: '', mentions: [], attachmentId: attachment.attachmentId }, null);
    card.remove();
    if (state.current?.conv.conversationId !== ack.conversationId) return;
    onMessage({
      conversationId: ack.conversationId, kind, targetId, messageId: ack.messageId, seq: ack.seq, senderId: state.me.userId,
      clientMessageId, sentAtMs: ack.sentAtMs, flags: 0, text: '', mentions: [], attachment,
    });
  } catch (error) {
    if (error instanceof UploadCancelled) { card.remove(); return; }
    card.classList.add('failed');
    progress.remove();
    status.textContent = `${t.uploadFailed}: ${errorText(error)}`;
    status.setAttribute('role', 'alert');
    cancel.textContent = t.close;
    cancel.onclick = () => card.remove();
  }
}

// ------------------------------------------------------------------------------------------- details panel
ui.info.addEventListener('click', () => {
  const current = state.current;
  if (!current) return;
  const kind = current.kind === KIND.group ? 'group' : 'friend';
  if (state.details === kind) closeDetails(true);
  else openDetails(kind);
});

ui.me?.addEventListener('click', () => (state.details === 'profile' ? closeDetails(true) : openDetails('profile')));

function openDetails(kind) {
  state.details = kind;
  if (kind === 'group' && state.current && !state.current.membersLoaded) loadMembers(state.current);
  ui.details.hidden = false;
  ui.details.dataset.kind = kind;
  ui.info.setAttribute('aria-expanded', String(kind !== 'profile'));
  ui.me?.setAttribute('aria-expanded', String(kind === 'profile'));
  if (narrow.matches) document.body.dataset.view = 'details';
  renderDetails();
  ui.detailsTitle.tabIndex = -1;
  ui.detailsTitle.focus();
}

function closeDetails(returnFocus) {
  const was = state.details;
  state.details = null;
  ui.details.hidden = true;
  ui.info.setAttribute('aria-expanded', 'false');
  ui.me?.setAttribute('aria-expanded', 'false');
  if (document.body.dataset.view === 'details') document.body.dataset.view = state.current ? 'conversation' : 'list';
  if (returnFocus) (was === 'profile' ? ui.me : ui.info)?.focus();
}

/** Re-renders the panel when what it shows changed, keeping focus on the control that had it. */
function refreshDetails(kind) {
  if (state.details !== kind) return;
  const focused = document.activeElement?.id;
  renderDetails();
  if (focused && ui.details.contains(document.getElementById(focused))) document.getElementById(focused).focus();
}

ui.details.addEventListener('keydown', (event) => {
  if (event.key === 'Escape') { event.preventDefault(); closeDetails(true); }
});

function renderDetails() {
  if (state.details === 'profile') renderProfile();
  else if (state.details === 'friend') renderFriendDetails();
  else if (state.details === 'group') renderGroupDetails();
}

function section(title, ...children) {
  return el('section', { class: 'details-section' }, title ? el('h3', { text: title }) : null, ...children);
}

function slotFor(id) {
  return el('div', { class: 'field-error', role: 'alert', id });
}

function field(id, label, input, hint) {
  input.id = id;
  return el('div', { class: 'field' }, el('label', { for: id, text: label }), input, hint ? el('div', { class: 'hint', text: hint }) : null);
}

function renderFriendDetails() {
  const current = state.current;
  const friend = current && state.friends.get(current.targetId);
  setText(ui.detailsTitle, t.details);
  if (!friend) { ui.detailsBody.replaceChildren(); return; }
  const assistant = state.assistantUserId !== 0 && friend.userId === state.assistantUserId;
  const head = section(null, el('div', { class: 'card-head' }, avatar(friendName(friend), friend.userId, 'large'),
    el('div', {}, el('div', { class: 'card-name', text: friendName(friend) }),
      el('div', { class: 'result', text: `@${friend.username}${friend.remark ? ` · ${isolate(friend.nickname)}` : ''}` }),
      el('div', { class: 'result', id: 'friend-status', text: statusText(friend.status, friend.lastSeenMs) }))));
  if (assistant) { ui.detailsBody.replaceChildren(head); return; }

  const remarkSlot = slotFor('remark-error');
  const remark = el('input', { maxlength: 20, value: friend.remark, autocomplete: 'off' });
  const remarkForm = el('form', { class: 'inline-form', id: 'remark-form', novalidate: true },
    field('remark-input', t.remark, remark, t.remarkHint),
    el('button', { type: 'submit', id: 'remark-save', text: t.save }), remarkSlot);
  remarkForm.addEventListener('submit', async (event) => {
    event.preventDefault();
    try {
      await req('FriendRemark', { userId: friend.userId, remark: remark.value.trim() }, remarkSlot);
    } catch {
      return;
    }
    say(remarkSlot, t.saved, { ok: true });
    await loadFriends();
  });

  const blockSlot = slotFor('block-error');
  const removeSlot = slotFor('remove-error');
  const remove = el('button', {
    type: 'button', id: 'remove-friend', class: 'danger', text: t.removeFriend,
    onclick: async () => {
      if (!window.confirm(t.confirmRemove.replace('{name}', isolate(friendName(friend))))) return;
      try {
        await req('FriendRemove', { userId: friend.userId }, removeSlot);
      } catch {
        return;
      }
      closeDetails(false);
      history.replaceState(null, '', location.pathname + location.search);
      leaveConversation();
      await Promise.all([loadFriends(), loadConversations()]);
    },
  });
  ui.detailsBody.replaceChildren(head, section(null, remarkForm),
    section(null, blockButtons(friend.userId, blockSlot, () => refreshDetails('friend')), blockSlot),
    section(null, remove, removeSlot));
}

function roleName(role) {
  return role === ROLE.owner ? t.owner : role === ROLE.admin ? t.admin : '';
}

function renderGroupDetails() {
  const current = state.current;
  const group = current && state.groups.get(current.targetId);
  setText(ui.detailsTitle, t.memberList);
  if (!group) { ui.detailsBody.replaceChildren(); return; }
  const myRole = group.myRole;
  const parts = [];

  if (myRole >= ROLE.admin) {
    const renameSlot = slotFor('rename-error');
    const name = el('input', { maxlength: 30, value: group.name, autocomplete: 'off' });
    const form = el('form', { class: 'inline-form', id: 'rename-form', novalidate: true },
      field('group-rename-input', t.rename, name), el('button', { type: 'submit', id: 'group-rename', text: t.save }), renameSlot);
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      if (!name.value.trim()) { say(renameSlot, t.groupNameRequired); return; }
      try {
        await req('GroupRename', { groupId: group.groupId, name: name.value.trim() }, renameSlot);
      } catch {
        return;
      }
      say(renameSlot, t.saved, { ok: true });
      await loadGroups();
    });
    parts.push(section(null, form));
  }

  const memberSlot = slotFor('member-error');
  const members = [...current.members].sort((a, b) => b.role - a.role || (a.nickname || a.username).localeCompare(b.nickname || b.username, language));
  const list = el('ul', { id: 'member-list', class: 'list member-list', 'aria-label': t.memberList });
  for (const m of members) {
    const name = m.nickname || m.username;
    const can = memberActions(myRole, state.me.userId, m);
    const act = (label, id, type, fields, confirmText) => el('button', {
      type: 'button', class: `member-action ${id}`, text: label, 'aria-label': `${label}: ${name}`,
      onclick: async () => {
        if (confirmText && !window.confirm(confirmText)) return;
        try {
          await req(type, { groupId: group.groupId, ...fields }, memberSlot);
        } catch {
          return;
        }
        await Promise.all([loadGroups(), loadMembers(current)]);
      },
    });
    list.append(el('li', { class: 'member', 'data-user-id': m.userId, 'data-role': m.role },
      el('span', { class: 'avatar-wrap' }, avatar(name, m.userId), el('span', { class: `dot${m.status > 0 ? ' online' : ''}` })),
      el('span', { class: 'main' }, el('span', { class: 'name', text: m.userId === state.me.userId ? `${isolate(name)} (${t.you})` : name }),
        roleName(m.role) ? el('span', { class: 'role-badge', text: roleName(m.role) }) : null),
      el('span', { class: 'member-actions' },
        can.promote ? act(t.promote, 'promote', 'GroupSetRole', { userId: m.userId, role: ROLE.admin }) : null,
        can.demote ? act(t.demote, 'demote', 'GroupSetRole', { userId: m.userId, role: ROLE.member }) : null,
        can.transfer ? act(t.transfer, 'transfer', 'GroupTransfer', { userId: m.userId }, t.confirmTransfer.replace('{name}', name)) : null,
        can.kick ? act(t.kick, 'kick', 'GroupKick', { userId: m.userId }) : null)));
  }
  if (current.membersError) say(memberSlot, current.membersError, { sticky: true });
  parts.push(section(`${t.memberList} (${members.length})`, list, memberSlot));

  // Invite: friends who are not members yet.
  const inviteSlot = slotFor('invite-error');
  const candidates = pickableFriends(new Set(current.members.map((m) => m.userId)));
  if (candidates.length === 0) {
    parts.push(section(t.invite, el('p', { class: 'result', text: t.inviteNone })));
  } else {
    const picker = el('div', { class: 'picker', id: 'invite-list' }, pickerOf(candidates, 'invite'));
    const form = el('form', { id: 'invite-form', novalidate: true }, el('fieldset', { class: 'picker-set' }, el('legend', { text: t.invite }), picker),
      el('button', { type: 'submit', id: 'invite-send', text: t.invite }), inviteSlot);
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      const userIds = [...picker.querySelectorAll('input:checked')].map((i) => Number(i.value));
      if (userIds.length === 0) return;
      try {
        await req('GroupInvite', { groupId: group.groupId, userIds }, inviteSlot);
      } catch {
        return;
      }
      await Promise.all([loadGroups(), loadMembers(current)]);
    });
    parts.push(section(null, form));
  }

  const endSlot = slotFor('group-end-error');
  const end = myRole === ROLE.owner
    ? el('button', { type: 'button', id: 'group-dismiss', class: 'danger', text: t.dismiss, onclick: () => endGroup('GroupDismiss', t.confirmDismiss) })
    : el('button', { type: 'button', id: 'group-leave', class: 'danger', text: t.leave, onclick: () => endGroup('GroupLeave', t.confirmLeave) });
  async function endGroup(type, question) {
    if (!window.confirm(question.replace('{name}', isolate(group.name)))) return;
    try {
      await req(type, { groupId: group.groupId }, endSlot);
    } catch {
      return;
    }
    closeDetails(false);
    history.replaceState(null, '', location.pathname + location.search);
    leaveConversation();
    await Promise.all([loadGroups(), loadConversations()]);
  }
  parts.push(section(null, end, endSlot));
  ui.detailsBody.replaceChildren(...parts);
}

async function renderProfile() {
  setText(ui.detailsTitle, t.profile);
  const slot = slotFor('profile-error');
  const statusSlot = slotFor('status-error');
  const nickname = el('input', { maxlength: 20, autocomplete: 'nickname' });
  const email = el('input', { type: 'email', autocomplete: 'email' });
  const username = el('div', { class: 'readonly', id: 'profile-username' });
  const phone = el('div', { class: 'readonly', id: 'profile-phone' });
  const save = el('button', { type: 'submit', id: 'profile-save', class: 'primary-button', text: t.save });
  // Not editable until the server's copy is in: filled after the user had started typing, it would overwrite their
  // input, and a save would then store the old values without a word.
  const editable = [nickname, email, save];
  for (const control of editable) control.disabled = true;
  const form = el('form', { id: 'profile-form', novalidate: true },
    el('div', { class: 'field' }, el('span', { class: 'label', text: t.username }), username),
    el('div', { class: 'field' }, el('span', { class: 'label', text: t.phone }), phone),
    field('profile-nickname', t.nickname, nickname), field('profile-email', t.email, email), save, slot);
  const status = el('select', {},
    el('option', { value: '1', text: t.online }), el('option', { value: '2', text: t.away }), el('option', { value: '3', text: t.busy }));
  status.value = String(state.profile?.status ?? 1);
  status.addEventListener('change', async () => {
    try {
      await req('SetStatus', { status: Number(status.value) }, statusSlot);
    } catch {
      return;
    }
    state.profile = { ...(state.profile ?? {}), status: Number(status.value) };
    say(statusSlot, t.saved, { ok: true });
  });
  const fill = (p) => {
    setText(username, `@${p.username}`);
    setText(phone, p.phone);
    nickname.value = p.nickname;
    email.value = p.email;
  };
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    let profile;
    try {
      profile = await req('UpdateProfile', { nickname: nickname.value.trim(), email: email.value.trim() }, slot);
    } catch {
      return;
    }
    state.profile = { ...(state.profile ?? {}), ...profile };
    state.me.nickname = profile.nickname;
    state.names.set(state.me.userId, profile.nickname);
    renderMe();
    fill(profile);
    say(slot, t.saved, { ok: true });
  });
  ui.detailsBody.replaceChildren(section(null, form), section(null, field('status-select', t.status, status), statusSlot));
  let profile;
  try {
    profile = await req('GetProfile', {}, slot);
  } catch {
    // Shown in the slot. The form stays closed: empty and editable, a save would store blanks over the real values.
    // Opening the profile again asks again.
    return;
  }
  state.profile = { ...(state.profile ?? {}), ...profile };
  if (state.details !== 'profile') return;
  fill(profile);
  for (const control of editable) control.disabled = false;
}

narrow.addEventListener('change', () => {
  if (state.details && narrow.matches) document.body.dataset.view = 'details';
  else document.body.dataset.view = state.current ? 'conversation' : 'list';
});

renderNotifyToggle();
start();
