// The chat connection: one logical session over WebSocket, SSE or long polling.
//
// - Transport choice: WebSocket first, then SSE (+ POST /send), then long polling (+ POST /send).
//   A transport that fails before its first `connected` (a refused handshake such as a 403, a
//   network error, a timeout) is abandoned for the next one at once; an established transport that
//   drops is retried with backoff, and after three failed retries the next transport takes over.
//   `forced` pins one transport (no fallback, retries only).
// - Resume: every reconnect carries `resume=<token>` and the last cursor (WS: `join` with `since`;
//   SSE: `lastEventId`; long poll: `cursor`). A cursor is the same string on every transport, so a
//   session moves between transports without a gap. Room events are deduplicated by their `id`.
// - Outgoing messages wait in an outbox while the session is down; nothing is dropped silently.

export const TRANSPORTS = ['websocket', 'sse', 'long-poll'];

const CONNECT_TIMEOUT_MS = 6000;
const POLL_TIMEOUT_MS = 25000;
const RETRIES_BEFORE_FALLBACK = 3;
const SEEN_IDS_KEPT = 10000;
const SSE_TYPES = ['connected', 'joined', 'message', 'user-joined', 'user-left', 'private', 'signal',
  'reset', 'stats', 'chat-error'];
const ROOM_EVENTS = new Set(['message', 'user-joined', 'user-left']);

// Cursor text form (core/log): `<epoch hex>-<offset dec>`.
function parseCursor(c) {
  const m = /^([0-9a-f]+)-([0-9]+)$/i.exec(c ?? '');
  return m ? { epoch: m[1], offset: Number(m[2]) } : null;
}

// True when cursor `a` is at or before `b` in the same epoch (so moving to `a` would go back).
function notAfter(a, b) {
  const pa = parseCursor(a);
  const pb = parseCursor(b);
  return pa !== null && pb !== null && pa.epoch === pb.epoch && pa.offset <= pb.offset;
}

export function backoffDelay(attempt) {
  const base = Math.min(5000, 250 * 2 ** attempt);
  return Math.round(base * (0.8 + 0.4 * Math.random()));
}

export class ChatConnection {
  // room, name: the join; forced: one of TRANSPORTS or null; handlers:
  //   onEvent(ev)               every server event except `connected` (deduplicated room events)
  //   onIdentity({clientId, token, changed})   after each `connected` (changed: a new clientId)
  //   onStatus({state, transport, detail})     state: connecting | online | reconnecting | closed
  constructor({ room, name, forced = null, onEvent, onIdentity, onStatus }) {
    this.room = room;
    this.name = name;
    this.forced = forced;
    this.onEvent = onEvent;
    this.onIdentity = onIdentity;
    this.onStatus = onStatus;
    this.clientId = null;
    this.token = null;
    this.cursor = null;
    this.transport = null;
    this.index = forced ? TRANSPORTS.indexOf(forced) : 0;
    this.closed = false;
    this.online = false;
    this.attempt = null;
    this.failures = 0; // consecutive failed attempts on the current transport
    this.everEstablished = new Set();
    this.seen = new Set();
    this.outbox = [];
    this.timer = null;
  }

  start() {
    this.#connect();
  }

  // Sends one client → server message ({type, ...}); queued while the session is down.
  send(msg) {
    if (this.closed) return;
    if (!this.online) {
      this.outbox.push(msg);
      return;
    }
    this.attempt.send(msg);
  }

  // Leaves the room and ends the session (also used on page hide).
  leave() {
    if (this.closed) return;
    if (this.online) this.attempt.send({ type: 'leave', room: this.room }, true);
    this.closed = true;
    this.online = false;
    clearTimeout(this.timer);
    this.attempt?.close();
    this.onStatus({ state: 'closed', transport: this.transport });
  }

  #connect() {
    if (this.closed) return;
    const kind = TRANSPORTS[this.index];
    this.onStatus({ state: this.everEstablished.size ? 'reconnecting' : 'connecting', transport: kind });
    const make = { websocket: WsAttempt, sse: SseAttempt, 'long-poll': PollAttempt }[kind];
    const attempt = new make(this);
    this.attempt = attempt;
    attempt.open();
  }

  // Called by an attempt for each `connected` (or the first poll answer).
  established(attempt, { clientId, token }) {
    if (attempt !== this.attempt || this.closed) return false;
    const changed = this.clientId !== null && clientId !== this.clientId;
    this.clientId = clientId;
    this.token = token;
    this.transport = attempt.kind;
    this.online = true;
    this.failures = 0;
    this.everEstablished.add(attempt.kind);
    this.onIdentity({ clientId, token, changed });
    this.onStatus({ state: 'online', transport: attempt.kind });
    return true;
  }

  // After the join is in place: flush what was queued while offline.
  flush() {
    const queued = this.outbox;
    this.outbox = [];
    for (const msg of queued) this.send(msg);
  }

  // One server event from the current attempt.
  deliver(attempt, ev) {
    if (attempt !== this.attempt || this.closed || ev === null || typeof ev !== 'object') return;
    if (ev.type === 'connected') return;
    if (ROOM_EVENTS.has(ev.type) && typeof ev.id === 'string') {
      if (this.seen.has(ev.id)) return; // replayed after a resume: already shown
      this.seen.add(ev.id);
      if (this.seen.size > SEEN_IDS_KEPT) this.seen.delete(this.seen.values().next().value);
      if (!notAfter(ev.id, this.cursor)) this.cursor = ev.id;
    } else if (ev.type === 'joined' && typeof ev.cursor === 'string') {
      // On a resume the replay follows; keep our cursor so that a drop mid-replay loses nothing.
      if (this.cursor === null || parseCursor(this.cursor)?.epoch !== parseCursor(ev.cursor)?.epoch) {
        this.cursor = ev.cursor;
      }
    } else if (ev.type === 'reset' && typeof ev.cursor === 'string') {
      this.cursor = ev.cursor;
    }
    this.onEvent(ev);
  }

  // The attempt failed before `connected`, or the established transport went away.
  failed(attempt, detail) {
    if (attempt !== this.attempt || this.closed) return;
    attempt.close();
    if (this.online) {
      this.#dropped(detail);
      return;
    }
    this.failures += 1;
    const kind = attempt.kind;
    const last = this.index === TRANSPORTS.length - 1;
    // A transport that never worked in this session is abandoned at once; one that worked before
    // gets a few retries (the server may be restarting) before the next one is tried.
    const giveUp = !this.forced && !last &&
      (!this.everEstablished.has(kind) || this.failures >= RETRIES_BEFORE_FALLBACK);
    if (giveUp) {
      this.index += 1;
      this.failures = 0;
      this.onStatus({ state: 'connecting', transport: TRANSPORTS[this.index], detail: `${kind}: ${detail}` });
      this.timer = setTimeout(() => this.#connect(), 50);
      return;
    }
    this.#retry(detail);
  }

  #dropped(detail) {
    this.online = false;
    this.failures = 0;
    this.#retry(detail);
  }

  #retry(detail) {
    const delay = backoffDelay(this.failures);
    this.onStatus({ state: 'reconnecting', transport: TRANSPORTS[this.index], detail, delay });
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.#connect(), delay);
  }
}

function sameOrigin(path) {
  return new URL(path, location.href);
}

// POSTs go one at a time, in order: an SDP offer must not be overtaken by its own ICE
// candidates, nor a message by the next one.
function queueSend(conn, attempt, msg, keepalive) {
  if (keepalive) {
    postSend(conn, attempt, msg, true);
    return;
  }
  conn.posting = (conn.posting ?? Promise.resolve()).then(() => postSend(conn, attempt, msg, false));
}

// POST /send with the session's bearer token (SSE and long polling).
async function postSend(conn, attempt, msg, keepalive = false) {
  let res;
  try {
    res = await fetch('/send', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${conn.token}` },
      body: JSON.stringify(msg),
      keepalive,
    });
  } catch (e) {
    // The network failed before an answer: the message may not have arrived. Queue it again
    // unless it is signaling (stale SDP/candidates are worse than none after a reconnect).
    if (msg.type !== 'signal' && msg.type !== 'leave') conn.outbox.push(msg);
    conn.failed(attempt, `POST /send: ${e.message}`);
    return;
  }
  if (res.ok) return;
  let body = null;
  try {
    body = await res.json();
  } catch {
    // not JSON: reported below with the status alone
  }
  const ev = body && body.type === 'error'
    ? body
    : { type: 'error', code: `http-${res.status}`, message: `POST /send answered ${res.status}` };
  conn.deliver(attempt, { ...ev, status: res.status, request: msg.type });
}

class WsAttempt {
  kind = 'websocket';

  constructor(conn) {
    this.conn = conn;
    this.ws = null;
    this.timer = null;
  }

  open() {
    const conn = this.conn;
    const url = sameOrigin('/ws');
    url.protocol = location.protocol === 'https:' ? 'wss:' : 'ws:';
    if (conn.token) url.searchParams.set('resume', conn.token);
    let ws;
    try {
      ws = new WebSocket(url);
    } catch (e) {
      setTimeout(() => conn.failed(this, e.message), 0);
      return;
    }
    this.ws = ws;
    this.timer = setTimeout(() => conn.failed(this, 'no answer'), CONNECT_TIMEOUT_MS);
    ws.onmessage = (e) => {
      let ev;
      try {
        ev = JSON.parse(e.data);
      } catch {
        return;
      }
      if (ev.type === 'connected') {
        clearTimeout(this.timer);
        if (!conn.established(this, ev)) return;
        const join = { type: 'join', room: conn.room, name: conn.name };
        if (conn.cursor) join.since = conn.cursor;
        ws.send(JSON.stringify(join));
        conn.flush();
        return;
      }
      conn.deliver(this, ev);
    };
    // A refused handshake (403, 426...) and a drop both end here; `failed` tells them apart by
    // whether `connected` was seen.
    ws.onclose = (e) => conn.failed(this, `closed ${e.code}${e.reason ? ` ${e.reason}` : ''}`);
  }

  send(msg) {
    if (this.ws?.readyState === WebSocket.OPEN) {
      this.ws.send(JSON.stringify(msg));
    } else {
      this.conn.outbox.push(msg);
    }
  }

  close() {
    clearTimeout(this.timer);
    if (this.ws) {
      this.ws.onclose = null;
      this.ws.onmessage = null;
      this.ws.close();
    }
  }
}

class SseAttempt {
  kind = 'sse';

  constructor(conn) {
    this.conn = conn;
    this.es = null;
    this.timer = null;
  }

  open() {
    const conn = this.conn;
    const url = sameOrigin('/sse');
    url.searchParams.set('room', conn.room);
    url.searchParams.set('name', conn.name);
    if (conn.token) url.searchParams.set('resume', conn.token);
    if (conn.cursor) url.searchParams.set('lastEventId', conn.cursor);
    const es = new EventSource(url);
    this.es = es;
    this.timer = setTimeout(() => conn.failed(this, 'no answer'), CONNECT_TIMEOUT_MS);
    for (const type of SSE_TYPES) {
      es.addEventListener(type, (e) => {
        let ev;
        try {
          ev = JSON.parse(e.data);
        } catch {
          return;
        }
        if (ev.type === 'connected') {
          clearTimeout(this.timer);
          if (conn.established(this, ev)) conn.flush();
          return;
        }
        conn.deliver(this, ev);
      });
    }
    // EventSource would reconnect by itself, but without `resume`: this page does it instead.
    es.onerror = () => conn.failed(this, es.readyState === EventSource.CLOSED ? 'refused' : 'dropped');
  }

  send(msg, keepalive = false) {
    queueSend(this.conn, this, msg, keepalive);
  }

  close() {
    clearTimeout(this.timer);
    this.es?.close();
  }
}

class PollAttempt {
  kind = 'long-poll';

  constructor(conn) {
    this.conn = conn;
    this.abort = new AbortController();
    this.sessionToken = null; // the long-poll session this attempt polls with
    this.stopped = false;
  }

  async open() {
    const conn = this.conn;
    while (!this.stopped) {
      const url = sameOrigin('/poll');
      url.searchParams.set('room', conn.room);
      url.searchParams.set('name', conn.name);
      if (this.sessionToken) {
        url.searchParams.set('token', this.sessionToken);
        url.searchParams.set('timeout', String(POLL_TIMEOUT_MS));
      } else if (conn.token) {
        // Resuming (after a drop, or coming from another transport): answer at once with what
        // was missed, even if that is nothing, so that the page knows it is back.
        url.searchParams.set('resume', conn.token);
        url.searchParams.set('timeout', '0');
      }
      if (conn.cursor) url.searchParams.set('cursor', conn.cursor);
      const first = this.sessionToken === null;
      const timer = first ? setTimeout(() => this.abort.abort(), CONNECT_TIMEOUT_MS) : null;
      let res;
      let body;
      try {
        res = await fetch(url, { signal: this.abort.signal, cache: 'no-store' });
        body = await res.json();
      } catch (e) {
        clearTimeout(timer);
        if (!this.stopped) conn.failed(this, e.name === 'AbortError' ? 'no answer' : e.message);
        return;
      } finally {
        clearTimeout(timer);
      }
      if (this.stopped) return;
      if (res.status === 409 && body?.reset) {
        conn.deliver(this, { type: 'reset', room: conn.room, cursor: body.cursor });
        continue;
      }
      if (res.status === 401 && (this.sessionToken || conn.token)) {
        // The session expired (away longer than the grace period): start a new one, as a new
        // member (the page learns it from the new clientId).
        this.sessionToken = null;
        conn.token = null;
        conn.online = false;
        continue;
      }
      if (!res.ok) {
        conn.failed(this, `GET /poll answered ${res.status}${body?.message ? `: ${body.message}` : ''}`);
        return;
      }
      if (first) {
        this.sessionToken = body.token;
        if (!conn.online || conn.clientId !== body.clientId) {
          if (!conn.established(this, { clientId: body.clientId, token: body.token })) return;
        }
      }
      for (const ev of body.events ?? []) conn.deliver(this, ev);
      if (typeof body.cursor === 'string' && !notAfter(body.cursor, conn.cursor)) conn.cursor = body.cursor;
      if (first) conn.flush();
    }
  }

  send(msg, keepalive = false) {
    queueSend(this.conn, this, msg, keepalive);
  }

  close() {
    this.stopped = true;
    this.abort.abort();
  }
}
