// rtwire chat page: the UI. Transports live in transport.js, the WebRTC mesh in p2p.js.
// Everything that came from the network is rendered with textContent, never as HTML.

import { ChatConnection, TRANSPORTS } from './transport.js';
import { Mesh } from './p2p.js';

const $ = (id) => document.getElementById(id);
const ROOM_RE = /^[A-Za-z0-9_-]{1,64}$/;

const params = new URLSearchParams(location.search);
const forcedParam = params.get('transport');
const forced = TRANSPORTS.includes(forcedParam) ? forcedParam : null;
if (params.has('room')) $('room').value = params.get('room');
if (params.has('name')) $('name').value = params.get('name');
if (forced) {
  $('transport-choice').value = forced;
  $('transport-choice').disabled = true;
}

const state = {
  conn: null,
  mesh: null,
  me: null,
  room: null,
  name: null,
  members: new Map(), // clientId → name
  p2pSeq: 0,
};

// ---- rendering -------------------------------------------------------------------------------

function hue(id) {
  let h = 0;
  for (const ch of String(id)) h = (h * 31 + ch.codePointAt(0)) % 360;
  return h;
}

function avatar(id, name) {
  const el = document.createElement('span');
  el.className = 'avatar';
  el.textContent = [...(name || '?')][0].toUpperCase();
  el.style.setProperty('--hue', String(hue(id)));
  return el;
}

function timeText(ts) {
  const d = Number.isFinite(ts) ? new Date(ts) : new Date();
  return d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
}

function nameOf(id, fallback) {
  return state.members.get(id) ?? fallback ?? id;
}

const messagesEl = $('messages');

function append(li) {
  const atBottom = messagesEl.scrollHeight - messagesEl.scrollTop - messagesEl.clientHeight < 48;
  messagesEl.append(li);
  if (atBottom) messagesEl.scrollTop = messagesEl.scrollHeight;
}

// One chat message: via "server" (room or private) or "p2p" (a data channel).
function addMessage({ via, from, name, text, ts, id = null, privateTo = undefined }) {
  const li = document.createElement('li');
  li.dataset.testid = 'message';
  li.dataset.via = via;
  li.dataset.from = String(from);
  if (id) li.dataset.id = id;
  li.className = 'msg';
  if (from === state.me) li.classList.add('mine');
  if (via === 'p2p') li.classList.add('p2p');
  if (privateTo !== undefined) li.classList.add('private');

  const bubble = document.createElement('div');
  bubble.className = 'bubble';
  const meta = document.createElement('div');
  meta.className = 'meta';
  const author = document.createElement('span');
  author.className = 'author';
  author.textContent = from === state.me ? `${name} (you)` : name;
  meta.append(author);
  if (privateTo !== undefined || via === 'p2p') {
    const tag = document.createElement('span');
    tag.className = 'tag';
    if (via === 'p2p') tag.textContent = 'P2P';
    else tag.textContent = from === state.me ? `private → ${privateTo}` : 'private';
    meta.append(tag);
  }
  const time = document.createElement('time');
  time.textContent = timeText(ts);
  meta.append(time);
  const body = document.createElement('div');
  body.className = 'text';
  body.textContent = String(text);
  bubble.append(meta, body);
  li.append(avatar(from, name), bubble);
  append(li);
}

// A line about the room or the connection (joins, leaves, errors, resets).
function addNotice(text, kind = 'info') {
  const li = document.createElement('li');
  li.dataset.testid = 'notice';
  li.className = `notice ${kind}`;
  li.textContent = text;
  append(li);
}

function renderMembers() {
  const list = $('members');
  const to = $('to');
  const chosen = to.value;
  list.replaceChildren();
  to.replaceChildren(new Option('Everyone', ''));
  const sorted = [...state.members.entries()].sort(([a, an], [b, bn]) =>
    (a === state.me ? -1 : b === state.me ? 1 : an.localeCompare(bn)));
  for (const [id, name] of sorted) {
    const li = document.createElement('li');
    li.dataset.testid = 'member';
    li.dataset.clientId = id;
    li.className = 'member';
    const label = document.createElement('span');
    label.className = 'member-name';
    label.textContent = name;
    li.append(avatar(id, name), label);
    if (id === state.me) {
      const you = document.createElement('span');
      you.className = 'you';
      you.textContent = 'you';
      li.append(you);
    } else {
      li.tabIndex = 0;
      li.title = `Message ${name} privately`;
      const pick = () => {
        to.value = id;
        updateComposer();
        $('text').focus();
      };
      li.addEventListener('click', pick);
      li.addEventListener('keydown', (e) => {
        if (e.key === 'Enter' || e.key === ' ') pick();
      });
      to.append(new Option(name, id));
    }
    list.append(li);
  }
  to.value = state.members.has(chosen) && chosen !== state.me ? chosen : '';
  $('member-count').textContent = String(state.members.size);
  updateComposer();
}

function updateComposer() {
  const to = $('to').value;
  $('text').placeholder = to ? `Private message to ${nameOf(to)}` : `Message #${state.room ?? ''}`;
  $('composer').classList.toggle('private', Boolean(to));
  for (const li of $('members').children) li.classList.toggle('selected', li.dataset.clientId === to);
}

function renderPeers() {
  const list = $('peers');
  list.replaceChildren();
  const peers = state.mesh ? state.mesh.list() : [];
  for (const p of peers) {
    const li = document.createElement('li');
    li.dataset.testid = 'peer';
    li.dataset.state = p.state;
    li.dataset.peer = p.id;
    li.dataset.channel = p.channel;
    li.className = 'peer';
    const label = document.createElement('span');
    label.className = 'member-name';
    label.textContent = nameOf(p.id, p.name);
    const st = document.createElement('span');
    st.className = 'state';
    st.textContent = p.state;
    li.append(avatar(p.id, nameOf(p.id, p.name)), label, st);
    list.append(li);
  }
  $('peers-empty').hidden = peers.length > 0;
  const open = peers.some((p) => p.channel === 'open');
  $('p2p-send').disabled = !open;
}

function setStatus({ state: s, transport, detail, delay }) {
  const conn = $('conn');
  conn.dataset.state = s;
  if (s === 'online') $('transport').textContent = transport;
  let text;
  if (s === 'online') text = 'connected';
  else if (s === 'connecting') text = `trying ${transport}…`;
  else if (s === 'reconnecting') text = delay ? `reconnecting in ${(delay / 1000).toFixed(1)} s` : 'reconnecting…';
  else text = 'left';
  $('conn-detail').textContent = text;
  conn.title = detail ? `${transport}: ${detail}` : transport ?? '';
}

// ---- server events ---------------------------------------------------------------------------

function onEvent(ev) {
  switch (ev.type) {
    case 'joined': {
      if (ev.room !== state.room) return;
      state.members = new Map();
      for (const m of ev.members ?? []) state.members.set(String(m.clientId), String(m.name));
      renderMembers();
      for (const id of state.members.keys()) state.mesh.add(id, state.members.get(id));
      // Peers that are no longer members (we were away) go.
      for (const p of state.mesh.list()) if (!state.members.has(p.id)) state.mesh.remove(p.id);
      break;
    }
    case 'message':
      if (ev.room !== state.room) return;
      addMessage({ via: 'server', from: ev.from, name: String(ev.name), text: ev.text, ts: ev.ts, id: ev.id });
      break;
    case 'user-joined':
      if (ev.room !== state.room) return;
      state.members.set(String(ev.clientId), String(ev.name));
      renderMembers();
      if (ev.clientId !== state.me) addNotice(`${ev.name} joined`);
      state.mesh.add(ev.clientId, ev.name);
      break;
    case 'user-left':
      if (ev.room !== state.room || ev.clientId === state.me) return; // our own leave's ack
      state.members.delete(ev.clientId);
      renderMembers();
      addNotice(`${ev.name} left`);
      state.mesh.remove(ev.clientId);
      break;
    case 'private': {
      const toName = nameOf(ev.to);
      addMessage({ via: 'server', from: ev.from, name: String(ev.name), text: ev.text, ts: ev.ts, privateTo: toName });
      break;
    }
    case 'signal':
      state.mesh.handle(ev.from, ev.data);
      break;
    case 'reset':
      addNotice('Part of the history is no longer on the server: continuing from the oldest it keeps.', 'warn');
      break;
    case 'error':
      addNotice(`${ev.code ?? 'error'}: ${ev.message ?? ''}`, 'error');
      break;
    default:
      break;
  }
}

function onIdentity({ clientId, changed }) {
  state.me = clientId;
  document.body.dataset.clientId = clientId;
  if (changed) addNotice('The session expired: joined again as a new member.', 'warn');
  state.mesh.setSelf(clientId);
  renderPeers();
}

// ---- actions ---------------------------------------------------------------------------------

// The server rate-limits message + private + signal together (20/s, burst 40 by default). A
// member joining a big room sends offers and candidates to every peer at once, so signals are
// paced here (12/s, burst 24), leaving room for what the user types; they are queued, not dropped.
const pacer = { tokens: 24, last: performance.now(), queue: [], timer: null };
function sendSignal(to, data) {
  pacer.queue.push({ type: 'signal', to, data });
  drainSignals();
}
function drainSignals() {
  const now = performance.now();
  pacer.tokens = Math.min(24, pacer.tokens + ((now - pacer.last) / 1000) * 12);
  pacer.last = now;
  while (pacer.queue.length && pacer.tokens >= 1 && state.conn) {
    pacer.tokens -= 1;
    state.conn.send(pacer.queue.shift());
  }
  if (pacer.queue.length && !pacer.timer) {
    pacer.timer = setTimeout(() => {
      pacer.timer = null;
      drainSignals();
    }, 90);
  }
}

async function loadIceServers() {
  // GET /config → {"iceServers":[...]} when the server offers it; none otherwise (host candidates).
  try {
    const ctl = new AbortController();
    const t = setTimeout(() => ctl.abort(), 2000);
    const res = await fetch('/config', { signal: ctl.signal, cache: 'no-store' });
    clearTimeout(t);
    if (!res.ok) return [];
    const cfg = await res.json();
    return Array.isArray(cfg?.iceServers) ? cfg.iceServers : [];
  } catch {
    return [];
  }
}

async function join(e) {
  e.preventDefault();
  const name = $('name').value.trim();
  const room = $('room').value.trim();
  const err = $('join-error');
  const cps = [...name].length;
  if (cps < 1 || cps > 32) {
    err.textContent = 'A name has 1 to 32 characters.';
    return;
  }
  if (!ROOM_RE.test(room)) {
    err.textContent = 'A room name has 1 to 64 letters, digits, "_" or "-".';
    return;
  }
  err.textContent = '';
  $('join').disabled = true;
  state.room = room;
  state.name = name;
  $('room-title').textContent = `#${room}`;
  document.title = `#${room} · rtwire chat`;

  state.mesh = new Mesh({
    sendSignal,
    onMessage: (m) => addMessage({ via: 'p2p', from: m.from, name: nameOf(m.from, m.name), text: m.text, ts: m.ts, id: m.id }),
    onChange: renderPeers,
    log: (text) => console.warn(`P2P: ${text}`),
  });
  state.mesh.setIceServers(await loadIceServers());

  const chosen = forced ?? ($('transport-choice').value || null);
  state.conn = new ChatConnection({ room, name, forced: chosen, onEvent, onIdentity, onStatus: setStatus });
  window.rtwireChat = state; // for debugging from the console
  $('join-view').hidden = true;
  $('chat-view').hidden = false;
  $('leave').hidden = false;
  updateComposer();
  state.conn.start();
  $('text').focus();
}

function sendText(e) {
  e.preventDefault();
  const input = $('text');
  const text = input.value;
  if (!text.trim() || !state.conn) return;
  const to = $('to').value;
  if (to) state.conn.send({ type: 'private', to, text });
  else state.conn.send({ type: 'message', room: state.room, text });
  input.value = '';
}

function sendP2p(e) {
  e.preventDefault();
  const input = $('p2p-text');
  const text = input.value;
  if (!text.trim() || !state.mesh || !state.me) return;
  const id = `${state.me}:${Date.now().toString(36)}:${(state.p2pSeq += 1)}`;
  const sent = state.mesh.broadcast(id, state.name, text);
  if (sent === 0) {
    addNotice('P2P: no peer connection is open yet.', 'warn');
    return;
  }
  addMessage({ via: 'p2p', from: state.me, name: state.name, text, ts: Date.now(), id });
  input.value = '';
}

function leave() {
  state.conn?.leave();
  state.mesh?.closeAll();
  state.conn = null;
  $('leave').hidden = true;
  $('text').disabled = true;
  $('send').disabled = true;
  addNotice('You left the room. Reload the page to join again.');
}

$('join-form').addEventListener('submit', join);
$('composer').addEventListener('submit', sendText);
$('p2p-form').addEventListener('submit', sendP2p);
$('to').addEventListener('change', updateComposer);
$('leave').addEventListener('click', leave);
// Leaving the page leaves the room at once (no grace period to wait for).
addEventListener('pagehide', () => {
  state.conn?.leave();
  state.mesh?.closeAll();
});
renderPeers();
