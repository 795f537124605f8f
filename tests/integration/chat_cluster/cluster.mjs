// chat_server cluster mode (issue #16, /work/wt/_notes/CLUSTER.md): several nodes on one Redis,
// driven from node with ws, eventsource and fetch (the packages of ../chat). Starts its own
// redis-server and nodes (procs.mjs), runs every check even when one fails, and exits non-zero
// if any failed or a process died unexpectedly.
//
//   node cluster.mjs --server /path/to/chat_server [--redis-server /usr/bin/redis-server]
//   CLUSTER_ONLY=<regex>   run only the matching checks (the processes start anyway)
//
// Processes: redis-server on a free port; nodes A and B straight on it; node C through a TCP
// proxy (so that C alone can be cut off from Redis) with a long member TTL (its members stay
// while it is cut off); node D (killed by the presence check). A, B, D use --member-ttl-ms 1500.
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { Redis, TcpProxy, died, freePort, sleep, startNode, stop } from './procs.mjs';

const require = createRequire(new URL('../chat/package.json', import.meta.url));
const WebSocket = require('ws');
const { EventSource } = require('eventsource');

const argv = process.argv.slice(2);
const opt = (name, fallback) => {
  const i = argv.indexOf(name);
  return i >= 0 && i + 1 < argv.length ? argv[i + 1] : fallback;
};
const serverBin = opt('--server');
const redisBin = opt('--redis-server', '/usr/bin/redis-server');
if (!serverBin) {
  console.error('usage: node cluster.mjs --server /path/to/chat_server [--redis-server PATH]');
  process.exit(2);
}
const only = process.env.CLUSTER_ONLY ? new RegExp(process.env.CLUSTER_ONLY) : null;

const TTL = 1500; // --member-ttl-ms of A, B, D
const GRACE = 6000; // --grace-ms: a moving client resumes well within it
const TAKE_MS = 5000; // the longest wait for one expected event
const GLOBAL_TIMEOUT_MS = 140_000;
const common = ['--grace-ms', String(GRACE), '--rate', '1000', '--history', '1000'];


const CURSOR = /^([0-9a-f]+)-([0-9]+)$/;
function cursorOf(text) {
  const m = CURSOR.exec(text ?? '');
  assert(m, `not a cursor: ${JSON.stringify(text)}`);
  return { epoch: m[1], offset: BigInt(m[2]) };
}

// ---- event queues ---------------------------------------------------------------------------
// take(pred) resolves with the first queued event matching (waiting up to `ms`); every event gets
// a hidden arrival number `n` (non-enumerable: deepEqual ignores it) so order across types can be
// checked after the fact; `seen` keeps every event ever pushed.
let arrivals = 0;
class Inbox {
  constructor(label) { this.label = label; this.items = []; this.seen = []; this.waiters = []; }
  push(ev) {
    Object.defineProperty(ev, 'n', { value: ++arrivals, enumerable: false });
    this.seen.push(ev);
    const w = this.waiters.findIndex((x) => x.pred(ev));
    if (w >= 0) { const [x] = this.waiters.splice(w, 1); clearTimeout(x.timer); x.resolve(ev); return; }
    this.items.push(ev);
  }
  take(pred, what, ms = TAKE_MS) {
    if (typeof pred === 'string') { const t = pred; what ??= t; pred = (e) => e.type === t; }
    const i = this.items.findIndex(pred);
    if (i >= 0) return Promise.resolve(this.items.splice(i, 1)[0]);
    return new Promise((resolve, reject) => {
      const x = { pred, resolve };
      x.timer = setTimeout(() => {
        this.waiters.splice(this.waiters.indexOf(x), 1);
        reject(new Error(`${this.label}: no ${what} within ${ms} ms; queued: ${JSON.stringify(this.items.slice(-6)).slice(0, 600)}`));
      }, ms);
      this.waiters.push(x);
    });
  }
  none(pred) { return !this.items.some(pred); }
}

// ---- clients --------------------------------------------------------------------------------
let tracked = [];
const track = (c) => { tracked.push(c); return c; };
// Keeps clients open past the end of their check (for a later check).
const keep = (...cs) => { tracked = tracked.filter((c) => !cs.includes(c)); };
function closeTracked() {
  for (const c of tracked) { try { c.close(); } catch { /* already closed */ } }
  tracked = [];
}

async function wsClient(port, query = '', label = `ws:${port}`) {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/ws${query}`);
  const inbox = new Inbox(label);
  const c = { ws, inbox, port, label, closed: false, closeCode: null };
  ws.on('message', (d) => inbox.push(JSON.parse(d.toString())));
  ws.on('close', (code) => { c.closed = true; c.closeCode = code; });
  await new Promise((res, rej) => {
    ws.once('open', res);
    ws.once('error', rej);
    ws.once('unexpected-response', (_, r) => rej(new Error(`${label}: /ws answered ${r.statusCode}`)));
  });
  ws.on('error', () => {});
  c.send = (o) => ws.send(JSON.stringify(o));
  c.close = () => ws.terminate();
  const connected = await inbox.take('connected');
  Object.assign(c, { id: connected.clientId, token: connected.token });
  c.join = async (room, name, since) => {
    c.send(since === undefined ? { type: 'join', room, name } : { type: 'join', room, name, since });
    return inbox.take((e) => e.type === 'joined' && e.room === room, `joined ${room}`);
  };
  return track(c);
}

const SSE_TYPES = ['connected', 'joined', 'message', 'user-joined', 'user-left', 'private', 'signal', 'reset', 'stats', 'chat-error'];
// An EventSource joined to `room`; resolves after `connected` and `joined`.
async function sseJoin(port, room, name, { resume, lastEventId, label = `sse:${port}` } = {}) {
  const inbox = new Inbox(label);
  const q = new URLSearchParams({ room, name, ...(resume ? { resume } : {}) });
  const headers = lastEventId ? { 'Last-Event-ID': lastEventId } : {};
  const es = new EventSource(`http://127.0.0.1:${port}/sse?${q}`, {
    fetch: (input, init) => fetch(input, { ...init, headers: { ...init.headers, ...headers } }),
  });
  const c = { es, inbox, port, label, errors: [], close: () => es.close() };
  track(c);
  for (const t of SSE_TYPES) es.addEventListener(t, (e) => inbox.push({ ...JSON.parse(e.data), sseType: e.type, sseId: e.lastEventId }));
  es.onerror = (e) => c.errors.push(`${e.message ?? 'error'} (code ${e.code})`);
  const connected = await inbox.take('connected');
  Object.assign(c, { id: connected.clientId, token: connected.token });
  await inbox.take((e) => e.type === 'joined' && e.room === room, `joined ${room}`);
  return c;
}

// An SSE stream read with fetch (no reconnection, unlike EventSource): `ended` resolves when the
// server closes it.
async function rawSse(port, query, label) {
  const inbox = new Inbox(label);
  const ctl = new AbortController();
  const res = await fetch(`http://127.0.0.1:${port}/sse?${query}`, { signal: ctl.signal });
  assert.equal(res.status, 200, `${label}: /sse answered ${res.status}`);
  const c = { inbox, label, port, close: () => ctl.abort() };
  c.ended = (async () => {
    const dec = new TextDecoder();
    let buf = '';
    try {
      for await (const chunk of res.body) {
        buf += dec.decode(chunk, { stream: true });
        let i;
        while ((i = buf.indexOf('\n\n')) >= 0) {
          const block = buf.slice(0, i);
          buf = buf.slice(i + 2);
          const data = block.split('\n').filter((l) => l.startsWith('data:')).map((l) => l.slice(5).trimStart()).join('\n');
          if (data) inbox.push(JSON.parse(data));
        }
      }
    } catch {
      // aborted
    }
    c.done = true;
    return true;
  })();
  track(c);
  const connected = await inbox.take('connected');
  Object.assign(c, { id: connected.clientId, token: connected.token });
  return c;
}

const post = (port, token, body) => fetch(`http://127.0.0.1:${port}/send`, {
  method: 'POST',
  headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
  body: JSON.stringify(body),
});

async function poll(port, params, signal) {
  const r = await fetch(`http://127.0.0.1:${port}/poll?${new URLSearchParams(params)}`, { signal });
  const text = await r.text();
  let body;
  try { body = JSON.parse(text); } catch { body = text; }
  return { status: r.status, body };
}

// A long-poll client: polls in a loop with its token and cursor, queueing every event; a 409 is
// queued as {type:'reset', via409:true, cursor} and polling goes on from that cursor.
class Poller {
  constructor(port, room, name, label = `poll:${port}`) {
    Object.assign(this, { port, room, name, label, inbox: new Inbox(label), statuses: [], stopped: false });
    track(this);
  }

  // The first poll: a new session (no token), or a resume on this node with token and cursor.
  // A new session resolves once its `joined` came (in the first answer or a later one); `first`
  // keeps the first answer.
  async open({ token, cursor } = {}) {
    const params = { room: this.room, name: this.name, timeout: 0 };
    if (token) params.token = token;
    if (cursor) params.cursor = cursor;
    const r = await poll(this.port, params);
    if (r.status !== 200) throw new Error(`${this.label}: first poll answered ${r.status} ${JSON.stringify(r.body)}`);
    Object.assign(this, { token: r.body.token, id: r.body.clientId, cursor: r.body.cursor, first: r.body });
    for (const e of r.body.events) this.inbox.push(e);
    this.loop = this.#run();
    if (!token) await this.inbox.take((e) => e.type === 'joined' && e.room === this.room, `joined ${this.room}`);
    return this;
  }

  async #run() {
    while (!this.stopped) {
      this.ctl = new AbortController();
      let r;
      try {
        r = await poll(this.port, { room: this.room, name: this.name, token: this.token, cursor: this.cursor, timeout: 1000 }, this.ctl.signal);
      } catch (e) {
        if (this.stopped) return;
        this.statuses.push({ at: Date.now(), status: String(e.message) });
        await sleep(200);
        continue;
      }
      // An answer after stop() is dropped: the cursor handed on is the last one processed.
      if (this.stopped) return;
      this.statuses.push({ at: Date.now(), status: r.status });
      if (r.status === 200) {
        for (const e of r.body.events) this.inbox.push(e);
        this.cursor = r.body.cursor;
      } else if (r.status === 409) {
        this.inbox.push({ type: 'reset', room: this.room, cursor: r.body.cursor, via409: true });
        this.cursor = r.body.cursor;
      } else {
        await sleep(200);
      }
    }
  }

  async stop() {
    this.stopped = true;
    this.ctl?.abort();
    await this.loop;
  }

  close() { this.stop(); }
}

async function sendMany(ws, room, prefix, n, gapMs = 5) {
  for (let i = 0; i < n; i++) {
    ws.send({ type: 'message', room, text: `${prefix}${i}` });
    if (gapMs) await sleep(gapMs);
  }
}

async function postMany(port, token, room, prefix, n) {
  for (let i = 0; i < n; i++) {
    const r = await post(port, token, { type: 'message', room, text: `${prefix}${i}` });
    assert.equal(r.status, 202, `POST /send ${prefix}${i} on :${port}: ${r.status} ${await r.text()}`);
  }
}

const isMsg = (room) => (e) => e.type === 'message' && e.room === room;
async function takeMessages(c, room, n, ms = TAKE_MS) {
  const out = [];
  for (let i = 0; i < n; i++) out.push(await c.inbox.take(isMsg(room), `message ${i + 1}/${n} of ${room}`, ms));
  return out;
}

// Every reader got the same messages (by id) in the same order, ids rising in one epoch, each
// sender's messages in its own order, nothing missing, nothing twice; then nothing more comes.
async function sameSequence(readers, room, counts) {
  const total = Object.values(counts).reduce((a, b) => a + b, 0);
  const lists = [];
  for (const r of readers) lists.push([r.label, await takeMessages(r, room, total)]);
  const [label0, first] = lists[0];
  for (const [label, list] of lists) {
    let prev = null;
    for (const m of list) {
      const c = cursorOf(m.id);
      if (prev) {
        assert.equal(c.epoch, prev.epoch, `${label}: one epoch`);
        assert(c.offset > prev.offset, `${label}: ids rise (${m.id} after offset ${prev.offset})`);
      }
      prev = c;
    }
    for (const [prefix, n] of Object.entries(counts)) {
      const texts = list.map((m) => m.text).filter((t) => t.startsWith(prefix) && /^\d+$/.test(t.slice(prefix.length)));
      assert.deepEqual(texts, Array.from({ length: n }, (_, i) => `${prefix}${i}`), `${label}: ${prefix}* in order, once each`);
    }
    assert.deepEqual(list.map((m) => m.id), first.map((m) => m.id), `${label} and ${label0}: the same ids in the same order`);
    assert.deepEqual(list.map((m) => m.text), first.map((m) => m.text), `${label} and ${label0}: the same texts`);
  }
  await sleep(300);
  for (const r of readers) assert(r.inbox.none(isMsg(room)), `${r.label}: a message arrived twice or unasked: ${JSON.stringify(r.inbox.items.filter(isMsg(room))).slice(0, 300)}`);
  return first;
}

async function stats(node) {
  const r = await fetch(`${node.base}/stats`);
  assert.equal(r.status, 200, `/stats of ${node.id}`);
  return r.json();
}

// Runs every part and fails with all their messages (so one broken transport does not hide
// another's result).
async function parts(list) {
  const errs = [];
  for (const [what, fn] of list) {
    try { await fn(); } catch (e) { errs.push(`${what}: ${String(e.message).split('\n')[0]}`); }
  }
  assert(errs.length === 0, `${errs.length} of ${list.length} parts failed:\n${errs.join('\n')}`);
}

// Retries `fn` (which throws while the condition does not hold) for up to `ms`.
async function eventually(fn, ms = 3000) {
  const deadline = Date.now() + ms;
  for (;;) {
    try { return await fn(); } catch (e) { if (Date.now() > deadline) throw e; }
    await sleep(100);
  }
}

// ---- the run ----------------------------------------------------------------------------------
let failures = 0;
let passed = 0;
async function check(name, fn) {
  if (only && !only.test(name)) return;
  const t0 = Date.now();
  try {
    await fn();
    passed++;
    console.log(`ok - ${name} (${Date.now() - t0} ms)`);
  } catch (e) {
    failures++;
    console.log(`not ok - ${name} (${Date.now() - t0} ms)\n  ${String(e.stack ?? e).split('\n').slice(0, 12).join('\n  ')}`);
  } finally {
    closeTracked();
  }
}

const globalTimer = setTimeout(() => {
  console.log(`not ok - global timeout (${GLOBAL_TIMEOUT_MS} ms)`);
  process.exit(1);
}, GLOBAL_TIMEOUT_MS);
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => process.exit(1));

const SDP = 'v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\nm=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\nc=IN IP4 0.0.0.0\r\na=mid:0\r\n';
const CAND = 'candidate:1 1 udp 2122260223 192.0.2.10 54321 typ host generation 0';

let redis = await new Redis(redisBin).start();
const proxy = await new TcpProxy(redis.port).listen();
const nodeArgs = ['--member-ttl-ms', String(TTL), ...common];
const A = await startNode(serverBin, 'node-a', redis.port, nodeArgs);
const B = await startNode(serverBin, 'node-b', redis.port, nodeArgs);
const nodes = [A, B];
console.log(`# redis-server :${redis.port}; node-a :${A.port}, node-b :${B.port}`);

await check('two nodes: WS on A and SSE on B see every message once, in one order', async () => {
  const room = 'two';
  const a = await wsClient(A.port, '', 'ws ann@A');
  await a.join(room, 'ann');
  const s = await sseJoin(B.port, room, 'sam', { label: 'sse sam@B' });
  await Promise.all([sendMany(a, room, 'a', 20), postMany(B.port, s.token, room, 's', 20)]);
  await sameSequence([a, s], room, { a: 20, s: 20 });
});

// Node C reaches Redis through the proxy; its members' presence lasts 20 s (the cut-off check
// keeps it away from Redis for a few seconds).
let C = null;
try {
  C = await startNode(serverBin, 'node-c', proxy.port, ['--member-ttl-ms', '20000', ...common]);
  nodes.push(C);
  console.log(`# node-c :${C.port} (Redis through the proxy :${proxy.port})`);
} catch (e) {
  failures++;
  console.log(`not ok - node-c starts: ${e.message}`);
}
const needC = () => assert(C, 'node-c did not start');

await check('three nodes: WS, SSE and long poll on A, B, C see every message once, in one order', async () => {
  needC();
  const room = 'three';
  const a = await wsClient(A.port, '', 'ws ann@A');
  await a.join(room, 'ann');
  const s = await sseJoin(B.port, room, 'sam', { label: 'sse sam@B' });
  const p = await new Poller(C.port, room, 'pat', 'poll pat@C').open();
  const w = await wsClient(C.port, '', 'ws wes@C');
  await w.join(room, 'wes');
  await Promise.all([
    sendMany(a, room, 'a', 12),
    postMany(B.port, s.token, room, 's', 12),
    postMany(C.port, p.token, room, 'p', 12),
    sendMany(w, room, 'w', 12, 3),
  ]);
  await sameSequence([a, s, p, w], room, { a: 12, s: 12, p: 12, w: 12 });
});

await check('long poll: the first poll (no token) answers at once with joined and a cursor, as on one node', async () => {
  const room = 'lp1';
  const a = await wsClient(A.port, '', 'ws wa@A');
  await a.join(room, 'wa');
  const r = await poll(B.port, { room, name: 'pb', timeout: 0 });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  assert.match(r.body.cursor, CURSOR, `the first answer's cursor: ${JSON.stringify(r.body)}`);
  const j = r.body.events.find((e) => e.type === 'joined');
  assert(j, `the first answer has joined: ${JSON.stringify(r.body)}`);
  assert.deepEqual(j.members.map((m) => m.name).sort(), ['pb', 'wa']);
  assert.equal(r.body.cursor, j.cursor);
});

await check('presence: joined.members lists the members of every node; user-joined/user-left reach every node; /stats counts them', async () => {
  needC();
  const room = 'pres';
  const a = await wsClient(A.port, '', 'ws pa@A');
  const ja = await a.join(room, 'pa');
  assert.deepEqual(ja.members, [{ clientId: a.id, name: 'pa' }], 'the first joiner sees itself alone');
  const s = await sseJoin(B.port, room, 'pb', { label: 'sse pb@B' });
  const p = await new Poller(C.port, room, 'pc', 'poll pc@C').open();
  const d = await wsClient(B.port, '', 'ws pd@B');
  const jd = await d.join(room, 'pd');
  const byId = (x, y) => (x.clientId < y.clientId ? -1 : 1);
  const expected = [[a.id, 'pa'], [s.id, 'pb'], [p.id, 'pc'], [d.id, 'pd']].map(([clientId, name]) => ({ clientId, name })).sort(byId);
  assert.deepEqual([...jd.members].sort(byId), expected, `joined.members on B lists the members on A, B and C: ${JSON.stringify(jd.members)}`);
  for (const [who, ids] of [[a, [s.id, p.id, d.id]], [s, [p.id, d.id]], [p, [d.id]]]) {
    for (const id of ids) await who.inbox.take((e) => e.type === 'user-joined' && e.clientId === id, `user-joined of ${id}`);
  }
  for (const n of nodes) {
    await eventually(async () => assert.equal((await stats(n)).rooms?.[room]?.members, 4, `/stats of ${n.id}: rooms.${room}.members`));
  }
  d.send({ type: 'leave', room });
  const lefts = [];
  for (const who of [a, s, p]) lefts.push(await who.inbox.take((e) => e.type === 'user-left' && e.clientId === d.id, `user-left of pd`));
  assert(lefts.every((e) => e.id === lefts[0].id), `one logged user-left: ids ${lefts.map((e) => e.id)}`);
  await sleep(300);
  for (const who of [a, s, p]) assert(who.inbox.none((e) => e.type === 'user-left' || e.type === 'user-joined'), `${who.label}: no further presence event`);
});

await check('private messages and signals reach clients on other nodes (and only in shared rooms)', async () => {
  needC();
  const room = 'pv';
  const a = await wsClient(A.port, '', 'ws ann@A');
  await a.join(room, 'ann');
  const b = await wsClient(B.port, '', 'ws bob@B');
  await b.join(room, 'bob');
  const p = await new Poller(C.port, room, 'pat', 'poll pat@C').open();
  const x = await wsClient(C.port, '', 'ws xav@C');
  await x.join('elsewhere', 'xav');
  a.send({ type: 'private', to: b.id, text: 'psst' });
  const pb = await b.inbox.take('private');
  const pa = await a.inbox.take('private', 'the private echo');
  assert.deepEqual(pa, pb, 'the echo is the delivered event');
  assert.deepEqual([pb.from, pb.to, pb.text, pb.name], [a.id, b.id, 'psst', 'ann']);
  b.send({ type: 'signal', to: a.id, data: { description: { type: 'offer', sdp: SDP } } });
  const so = await a.inbox.take('signal', 'the offer');
  assert.deepEqual([so.from, so.to, so.data.description.type, so.data.description.sdp], [b.id, a.id, 'offer', SDP]);
  b.send({ type: 'signal', to: a.id, data: { candidate: { candidate: CAND, sdpMid: '0' } } });
  const sc = await a.inbox.take('signal', 'the candidate');
  assert.deepEqual([sc.from, sc.data.candidate.candidate, sc.data.candidate.sdpMid], [b.id, CAND, '0']);
  a.send({ type: 'signal', to: p.id, data: { candidate: { candidate: CAND } } });
  assert.equal((await p.inbox.take('signal', 'a signal over long poll on C')).from, a.id);
  a.send({ type: 'private', to: p.id, text: 'to the poller' });
  const pp = await p.inbox.take('private', 'a private over long poll on C');
  assert.deepEqual([pp.from, pp.text], [a.id, 'to the poller']);
  const r = await post(C.port, p.token, { type: 'private', to: b.id, text: 'from the poller' });
  assert.equal(r.status, 202, `POST /send private on C: ${r.status}`);
  const fp = await b.inbox.take('private', 'the poller\'s private');
  assert.deepEqual([fp.from, fp.to, fp.text], [p.id, b.id, 'from the poller']);
  a.send({ type: 'private', to: x.id, text: 'not shared' });
  assert.equal((await a.inbox.take('error', 'an error for a client in no shared room')).code, 'unknown-client');
  a.send({ type: 'signal', to: x.id, data: { candidate: { candidate: CAND } } });
  assert.equal((await a.inbox.take('error', 'an error for a signal to a client in no shared room')).code, 'unknown-client');
  await sleep(300);
  assert(x.inbox.none((e) => e.type === 'private' || e.type === 'signal'), 'nothing reached the client sharing no room');
  assert(b.inbox.none((e) => e.type === 'private' || e.type === 'signal'), 'bob got each event once');
});

// A client reads on A, drops (or, on WS, is taken over) and resumes on B from its cursor while a
// client on C keeps publishing: it gets every message once, in order, with the same clientId, and
// the others see no user-left/user-joined for it.
const MOVE_N = 60;
async function move(kind) {
  needC();
  const room = `mv-${kind}`;
  const pub = await wsClient(C.port, '', 'ws pub@C');
  await pub.join(room, 'pub');
  const got = [];
  let old;
  if (kind === 'ws') { old = await wsClient(A.port, '', 'ws mover@A'); await old.join(room, 'mover'); }
  if (kind === 'sse') {
    old = await rawSse(A.port, new URLSearchParams({ room, name: 'mover' }), 'sse mover@A');
    await old.inbox.take((e) => e.type === 'joined', 'joined');
  }
  if (kind === 'poll') old = await new Poller(A.port, room, 'mover', 'poll mover@A').open();
  await pub.inbox.take((e) => e.type === 'user-joined' && e.clientId === old.id, 'the mover\'s user-joined');
  const publishing = sendMany(pub, room, 'm', MOVE_N, 15);
  for (const m of await takeMessages(old, room, 10)) got.push(m);
  const last = got.at(-1).id;
  let nw;
  if (kind === 'ws') {
    // The old connection stays open: resuming elsewhere takes the session over and closes it.
    nw = await wsClient(B.port, `?resume=${old.token}`, 'ws mover@B');
    assert.deepEqual([nw.id, nw.token], [old.id, old.token], 'resume=TOKEN on B: connected with the same clientId and token');
    const j = await nw.join(room, 'mover', last);
    assert(j.members.some((m) => m.clientId === old.id), 'joined.members has the mover');
  } else if (kind === 'sse') {
    // The old stream stays open too: the resume on B ends it.
    assert(!old.done, 'the old SSE stream on A is open before the resume');
    nw = await sseJoin(B.port, room, 'mover', { resume: old.token, lastEventId: last, label: 'sse mover@B' });
    assert.equal(nw.id, old.id, 'SSE resume on B: the same clientId');
  } else {
    await old.stop();
    nw = await new Poller(B.port, room, 'mover', 'poll mover@B').open({ token: old.token, cursor: last });
    assert.equal(nw.id, old.id, 'long-poll resume on B: the same clientId');
  }
  await publishing;
  for (const m of await takeMessages(nw, room, MOVE_N - got.length, 8000)) got.push(m);
  assert.deepEqual(got.map((m) => m.text), Array.from({ length: MOVE_N }, (_, i) => `m${i}`), 'no gap, no duplicate across the move');
  await sleep(300);
  assert(nw.inbox.none(isMsg(room)), `a message came twice on B: ${JSON.stringify(nw.inbox.items.filter(isMsg(room))).slice(0, 300)}`);
  if (kind === 'ws') {
    await eventually(() => assert(old.closed, 'the old WebSocket on A is closed once the session resumed on B'), 3000);
  }
  if (kind === 'sse') {
    const ended = await Promise.race([old.ended, sleep(3000).then(() => false)]);
    assert(ended, 'the old SSE stream on A is ended once the session resumed on B');
  }
  assert(pub.inbox.none((e) => (e.type === 'user-left' || e.type === 'user-joined') && e.clientId === old.id),
    'a move within the grace period publishes no user-left/user-joined');
  keep(pub, nw);
  moved.push({ kind, room, pub, mover: nw, at: Date.now() });
}
const moved = [];
await check('move A→B mid-stream, WebSocket (resume=TOKEN, join since; the old connection is closed)', () => move('ws'));
await check('move A→B mid-stream, SSE (resume=TOKEN, Last-Event-ID; the old stream is ended)', () => move('sse'));
await check('move A→B mid-stream, long poll (token, cursor)', () => move('poll'));

await check('/stats: "node" and the cluster-wide members and messages of a room', async () => {
  const room = 'st';
  const a = await wsClient(A.port, '', 'ws sa@A');
  await a.join(room, 'sa');
  const b = await wsClient(B.port, '', 'ws sb@B');
  await b.join(room, 'sb');
  await Promise.all([sendMany(a, room, 'a', 3), sendMany(b, room, 'b', 3)]);
  await sameSequence([a, b], room, { a: 3, b: 3 });
  for (const n of nodes) {
    const st = await stats(n);
    assert.deepEqual(Object.keys(st), ['node', 'connections', 'rooms', 'messages_in', 'deliveries', 'uptime_s'], `/stats keys of ${n.id}`);
    assert.equal(st.node, n.id, '/stats node');
  }
  for (const n of [A, B]) {
    await eventually(async () => assert.deepEqual((await stats(n)).rooms[room], { members: 2, messages: 6 }, `/stats of ${n.id}: rooms.${room}`));
  }
  assert.equal((await stats(A)).connections.websocket >= 1, true, 'connections count this node');
});

await check('a duplicate --node-id is refused: the second node exits 1 and says why', async () => {
  let second;
  try {
    second = await startNode(serverBin, 'node-a', redis.port, nodeArgs);
  } catch (e) {
    if (!e.node) throw e;
    assert.equal(e.node.exit.code, 1, `exit status of the duplicate (${JSON.stringify(e.node.exit)})`);
    assert.match(e.node.log, /node-a|node.id/i, 'stderr names the node id');
    const h = await fetch(`${A.base}/healthz`);
    assert.equal(h.status, 200, 'node-a still serves');
    return;
  }
  await stop(second);
  assert.fail(`a second node-a started on :${second.port}`);
});

await check(`a killed node's members leave: one user-left each, seen on every other node, within --member-ttl-ms ${TTL}`, async () => {
  const D = await startNode(serverBin, 'node-d', redis.port, nodeArgs);
  const room = 'kill';
  try {
    const oa = await wsClient(A.port, '', 'ws oa@A');
    await oa.join(room, 'oa');
    const ob = await wsClient(B.port, '', 'ws ob@B');
    await ob.join(room, 'ob');
    const d1 = await wsClient(D.port, '', 'ws d1@D');
    await d1.join(room, 'd1');
    const d2 = await sseJoin(D.port, room, 'd2', { label: 'sse d2@D' });
    for (const o of [oa, ob]) for (const id of [d1.id, d2.id]) await o.inbox.take((e) => e.type === 'user-joined' && e.clientId === id, `user-joined of ${id}`);
    await eventually(async () => assert.equal((await stats(A)).rooms[room]?.members, 4, '/stats of node-a before the kill'));
    await stop(D, 'SIGKILL');
    const t0 = Date.now();
    d2.close();
    const leftAt = {};
    const ids = {};
    for (const o of [oa, ob]) {
      for (const d of [d1, d2]) {
        const e = await o.inbox.take((x) => x.type === 'user-left' && x.clientId === d.id, `user-left of ${d.label}`, TTL + 4000);
        leftAt[`${o.label}/${d.label}`] = Date.now() - t0;
        (ids[d.id] ??= []).push(e.id);
      }
    }
    console.log(`# user-left after the kill (ms): ${JSON.stringify(leftAt)}`);
    const limit = 2 * TTL;
    for (const [k, ms] of Object.entries(leftAt)) assert(ms <= limit, `${k}: user-left ${ms} ms after the kill (limit ${limit})`);
    for (const [id, list] of Object.entries(ids)) assert(list.every((x) => x === list[0]), `one logged user-left for ${id}: ids ${list}`);
    await sleep(TTL);
    for (const o of [oa, ob]) assert(o.inbox.none((e) => e.type === 'user-left'), `${o.label}: a second user-left: ${JSON.stringify(o.inbox.items)}`);
    await eventually(async () => assert.equal((await stats(A)).rooms[room]?.members, 2, '/stats of node-a after the kill'));
  } finally {
    await stop(D);
  }
});

await check(`moved sessions stay members after --grace-ms ${GRACE} (the old node does not end them)`, async () => {
  assert(moved.length, 'no move check passed');
  for (const { mover } of moved) tracked.push(mover);
  for (const { pub } of moved) tracked.push(pub);
  const wait = moved.at(-1).at + GRACE + 1500 - Date.now();
  if (wait > 0) await sleep(wait);
  for (const { kind, room, pub, mover } of moved) {
    assert(pub.inbox.none((e) => (e.type === 'user-left' || e.type === 'user-joined') && e.clientId === mover.id),
      `${kind}: presence events for the moved client: ${JSON.stringify(pub.inbox.items.filter((e) => e.clientId === mover.id))}`);
    const probe = await wsClient(A.port, '', `ws probe@A`);
    const j = await probe.join(room, 'probe');
    assert(j.members.some((m) => m.clientId === mover.id), `${kind}: the moved client is still listed in joined.members on A`);
    pub.send({ type: 'message', room, text: 'still there?' });
    assert.equal((await mover.inbox.take((e) => isMsg(room)(e) && e.text === 'still there?', 'a live message on B')).from, pub.id);
  }
});

await check('a node that cannot reach Redis at start exits 1', async () => {
  const closed = await freePort();
  try {
    const n = await startNode(serverBin, 'node-x', closed, nodeArgs);
    await stop(n);
  } catch (e) {
    if (!e.node) throw e;
    assert.equal(e.node.exit.code, 1, `exit status (${JSON.stringify(e.node.exit)})`);
    return;
  }
  assert.fail('a node started without Redis');
});

await check('a node cut off from Redis: unavailable to its senders, readers stay connected, catches up when back', async () => {
  needC();
  const room = 'cut';
  const pub = await wsClient(A.port, '', 'ws pub@A');
  await pub.join(room, 'pub');
  const w = await wsClient(C.port, '', 'ws wc@C');
  await w.join(room, 'wc');
  const s = await sseJoin(C.port, room, 'sc', { label: 'sse sc@C' });
  pub.send({ type: 'message', room, text: 'warm' });
  for (const r of [pub, w, s]) await r.inbox.take(isMsg(room), 'warm');
  proxy.down = true;
  proxy.cut();
  await sleep(100);
  const t0 = Date.now();
  w.send({ type: 'message', room, text: 'refused-on-c' });
  const err = await w.inbox.take((e) => e.type === 'error' || isMsg(room)(e), 'an answer to the message', 4000);
  assert.equal(err.type, 'error', `C published while cut off: ${JSON.stringify(err)}`);
  assert.equal(err.code, 'unavailable', JSON.stringify(err));
  assert(Date.now() - t0 <= 3000, `unavailable after ${Date.now() - t0} ms (limit 3000)`);
  for (let i = 0; i < 10; i++) pub.send({ type: 'message', room, text: `cut${i}` });
  await takeMessages(pub, room, 10);
  await sleep(500);
  assert(!w.closed, `the WebSocket on C stays open (closed ${w.closeCode})`);
  assert.deepEqual(s.errors, [], 'the SSE stream on C stays open');
  proxy.down = false;
  const t1 = Date.now();
  for (const r of [w, s]) {
    const got = await takeMessages(r, room, 10, 8000);
    assert.deepEqual(got.map((m) => m.text), Array.from({ length: 10 }, (_, i) => `cut${i}`), `${r.label}: the messages published meanwhile, in order`);
  }
  console.log(`# node-c caught up ${Date.now() - t1} ms after Redis came back`);
  await sleep(500);
  for (const r of [pub, w, s]) {
    assert(r.inbox.seen.every((e) => e.text !== 'refused-on-c'), `${r.label}: the refused message was published later`);
    assert(r.inbox.none(isMsg(room)), `${r.label}: an extra message ${JSON.stringify(r.inbox.items.filter(isMsg(room)))}`);
  }
  await eventually(async () => {
    w.send({ type: 'message', room, text: 'c-again' });
    const e = await w.inbox.take((x) => x.type === 'error' || (isMsg(room)(x) && x.text === 'c-again'), 'c-again', 1000);
    assert.equal(e.type, 'message', `C publishes again: ${JSON.stringify(e)}`);
  }, 5000);
  assert.equal((await pub.inbox.take((e) => isMsg(room)(e) && e.text === 'c-again', 'c-again on A')).from, w.id);
});

// Resets: each reader got `reset` (room, cursor of the new epoch) before the first event of the
// new epoch, that event live, and no old-epoch event after the reset.
function assertResetFirst(r, room, reset, msg, oldEpoch) {
  assert.equal(reset.room, room, `${r.label}: reset.room`);
  const rc = cursorOf(reset.cursor);
  const mc = cursorOf(msg.id);
  assert.notEqual(mc.epoch, oldEpoch, `${r.label}: the first message after the loss has a new epoch (not renumbered in the old one)`);
  assert.equal(rc.epoch, mc.epoch, `${r.label}: reset.cursor ${reset.cursor} is in the new epoch of the message ${msg.id}`);
  assert(rc.offset < mc.offset, `${r.label}: reset.cursor ${reset.cursor} comes before the message ${msg.id} (resuming from it must not skip the message)`);
  assert(reset.n < msg.n, `${r.label}: reset arrived before the new epoch's first message`);
  const later = r.inbox.seen.filter((e) => e.n > reset.n && e.id && CURSOR.test(e.id));
  assert(later.every((e) => cursorOf(e.id).epoch !== oldEpoch), `${r.label}: an old-epoch event after the reset: ${JSON.stringify(later).slice(0, 300)}`);
}

async function resetThenMessage(x, room, text, oldEpoch) {
  const msg = await x.inbox.take((e) => isMsg(room)(e) && e.text === text, `the message ${text}`);
  const reset = await x.inbox.take((e) => e.type === 'reset' && e.room === room, 'reset');
  assertResetFirst(x, room, reset, msg, oldEpoch);
  return msg;
}

// A reset answering a stale cursor names the room's cluster head: in the room's current epoch,
// and a cursor the next poll accepts (200, not another 409).
async function assertHeadCursor(what, cursor, epoch, room, port) {
  assert.equal(cursorOf(cursor).epoch, epoch, `${what}: the reset cursor ${cursor} is in the room's epoch ${epoch}`);
  const q = await poll(port, { room, name: 'probe', cursor, timeout: 0 });
  assert.equal(q.status, 200, `${what}: a first poll from the reset cursor ${cursor}: ${q.status} ${JSON.stringify(q.body)}`);
  assert(!q.body.events.some((e) => e.type === 'reset'), `${what}: a first poll from the reset cursor ${cursor} is reset again: ${JSON.stringify(q.body.events)}`);
}

await check('a stale cursor (another epoch, the future) gets reset to the cluster head: WS since, SSE Last-Event-ID, poll 409', async () => {
  needC();
  const room = 'stale';
  const a = await wsClient(A.port, '', 'ws sa@A');
  await a.join(room, 'sa');
  a.send({ type: 'message', room, text: 'm' });
  const m = await a.inbox.take(isMsg(room), 'm');
  const { epoch, offset } = cursorOf(m.id);
  const other = epoch === 'abc' ? 'abd' : 'abc';
  const list = [];
  for (const stale of [`${other}-1`, `${epoch}-${offset + 50n}`]) {
    list.push([`WS since=${stale} on B`, async () => {
      const w = await wsClient(B.port, '', 'ws sw@B');
      const j = await w.join(room, 'sw', stale);
      const rs = await w.inbox.take((e) => e.type === 'reset' && e.room === room, `reset for since=${stale}`);
      assert(rs.n < j.n, 'WS: reset before joined');
      await assertHeadCursor(`WS since=${stale} on B`, rs.cursor, epoch, room, B.port);
    }]);
    list.push([`SSE Last-Event-ID ${stale} on C`, async () => {
      const s = await sseJoin(C.port, room, 'ss', { lastEventId: stale, label: 'sse ss@C' });
      const rs2 = await s.inbox.take((e) => e.type === 'reset', `SSE reset for Last-Event-ID ${stale}`);
      await assertHeadCursor(`SSE Last-Event-ID ${stale} on C`, rs2.cursor, epoch, room, C.port);
    }]);
    list.push([`poll cursor=${stale} on C`, async () => {
      const p = await new Poller(C.port, room, 'sp', 'poll sp@C').open();
      await p.stop();
      const q = await poll(C.port, { room, name: 'sp', token: p.token, cursor: stale, timeout: 0 });
      assert.equal(q.status, 409, `poll cursor=${stale}: ${q.status} ${JSON.stringify(q.body)}`);
      const q2 = await poll(C.port, { room, name: 'sp', token: p.token, cursor: q.body.cursor, timeout: 0 });
      assert.equal(q2.status, 200, `the next poll from the 409's cursor ${q.body.cursor}: ${q2.status} ${JSON.stringify(q2.body)}`);
      await assertHeadCursor(`poll 409 for cursor=${stale} on C`, q.body.cursor, epoch, room, C.port);
    }]);
  }
  await parts(list);
});

// FLUSHALL: one setup, three checks (WS/SSE members, the long-poll member, old-cursor resumes).
let fl = null;
await check('Redis FLUSHALL: WS and SSE members (A, B) get reset before the new epoch\'s first message, which arrives live', async () => {
  needC();
  const room = 'fl';
  const a = await wsClient(A.port, '', 'ws fa@A');
  await a.join(room, 'fa');
  const s = await sseJoin(B.port, room, 'fs', { label: 'sse fs@B' });
  const p = await new Poller(C.port, room, 'fp', 'poll fp@C').open();
  keep(a, s, p);
  a.send({ type: 'message', room, text: 'before' });
  const before = [];
  for (const r of [a, s, p]) before.push(await r.inbox.take(isMsg(room), 'before'));
  const old = before[0].id;
  fl = { room, a, s, p, old, oldEpoch: cursorOf(old).epoch };
  assert.equal(await redis.command('FLUSHALL'), '+OK');
  await sleep(300);
  a.send({ type: 'message', room, text: 'after' });
  for (const x of [a, s]) fl.newEpoch = cursorOf((await resetThenMessage(x, room, 'after', fl.oldEpoch)).id).epoch;
});

await check('Redis FLUSHALL: a long-poll member (C) gets reset (event or 409) and then the new epoch\'s first message', async () => {
  assert(fl, 'the FLUSHALL setup failed');
  await resetThenMessage(fl.p, fl.room, 'after', fl.oldEpoch);
});

await check('Redis FLUSHALL: resuming with an old cursor gets reset to the new epoch (WS since on B, SSE Last-Event-ID on C, poll 409 on C)', async () => {
  assert(fl?.newEpoch, 'the FLUSHALL setup failed');
  const { room, a, p, old, oldEpoch, newEpoch } = fl;
  tracked.push(fl.a, fl.s, fl.p);
  await parts([
    ['WS resume=TOKEN, since=<old cursor> on B', async () => {
      const a2 = await wsClient(B.port, `?resume=${a.token}`, 'ws fa@B');
      const j = await a2.join(room, 'fa', old);
      const rs = await a2.inbox.take((e) => e.type === 'reset' && e.room === room, 'reset for join since=<old cursor>');
      assert(rs.n < j.n, 'reset before joined');
      assert(a2.inbox.seen.every((e) => !e.id || cursorOf(e.id).epoch !== oldEpoch), 'no old-epoch event replayed');
      await assertHeadCursor('WS since=<old cursor> on B', rs.cursor, newEpoch, room, B.port);
    }],
    ['SSE Last-Event-ID <old cursor> on C', async () => {
      const s2 = await sseJoin(C.port, room, 'fs2', { lastEventId: old, label: 'sse fs2@C' });
      const rs2 = await s2.inbox.take((e) => e.type === 'reset', 'reset for Last-Event-ID: <old cursor>');
      const j2 = s2.inbox.seen.find((e) => e.type === 'joined');
      assert(rs2.n < j2.n, 'SSE: reset before joined');
      await assertHeadCursor('SSE Last-Event-ID <old cursor> on C', rs2.cursor, newEpoch, room, C.port);
    }],
    ['poll token, cursor=<old cursor> on C', async () => {
      await p.stop();
      const q = await poll(C.port, { room, name: 'fp', token: p.token, cursor: old, timeout: 0 });
      assert.equal(q.status, 409, `poll with the old cursor: ${q.status} ${JSON.stringify(q.body)}`);
      assert.equal(q.body.reset, true);
      await assertHeadCursor('poll 409 for <old cursor> on C', q.body.cursor, newEpoch, room, C.port);
    }],
  ]);
});

// Redis stopped and restarted empty on its port: one setup, three checks.
let down = null;
await check('Redis stopped: unavailable within 3 s (WS error, POST /send 503); WS, SSE and long-poll readers stay connected', async () => {
  needC();
  const room = 'down';
  const a = await wsClient(A.port, '', 'ws da@A');
  await a.join(room, 'da');
  const b = await wsClient(B.port, '', 'ws db@B');
  await b.join(room, 'db');
  const s = await sseJoin(B.port, room, 'ds', { label: 'sse ds@B' });
  const p = await new Poller(C.port, room, 'dp', 'poll dp@C').open();
  keep(a, b, s, p);
  a.send({ type: 'message', room, text: 'up' });
  for (const r of [a, b, s, p]) await r.inbox.take(isMsg(room), 'up');
  down = { room, a, b, s, p, oldEpoch: cursorOf(a.inbox.seen.find(isMsg(room)).id).epoch };
  await redis.kill();
  const killedAt = Date.now();
  try {
    let t0 = Date.now();
    a.send({ type: 'message', room, text: 'lost-ws' });
    const e = await a.inbox.take((x) => x.type === 'error' || isMsg(room)(x), 'an answer to the message', 5000);
    assert.deepEqual([e.type, e.code], ['error', 'unavailable'], `WS message with Redis down: ${JSON.stringify(e)}`);
    assert.equal(typeof e.message, 'string');
    assert(Date.now() - t0 <= 3000, `WS unavailable after ${Date.now() - t0} ms (limit 3000)`);
    t0 = Date.now();
    const r = await post(B.port, s.token, { type: 'message', room, text: 'lost-post' });
    const body = await r.json().catch(() => null);
    assert.equal(r.status, 503, `POST /send with Redis down: ${r.status} ${JSON.stringify(body)}`);
    assert.deepEqual([body?.type, body?.code, typeof body?.message], ['error', 'unavailable', 'string'], JSON.stringify(body));
    assert(Date.now() - t0 <= 3000, `POST /send 503 after ${Date.now() - t0} ms (limit 3000)`);
    await sleep(1000);
    for (const w of [a, b]) assert(!w.closed, `${w.label} stays open (closed ${w.closeCode})`);
    assert.deepEqual(s.errors, [], 'the SSE stream stays open');
    const during = p.statuses.filter((x) => x.at > killedAt);
    assert(during.every((x) => x.status === 200), `long polls while Redis is down: ${JSON.stringify(during)}`);
  } finally {
    redis = await new Redis(redisBin, redis.port).start();
  }
});

await check('Redis restarted empty on its port: publishing works again (within the 2 s backoff); WS and SSE readers get reset, then the message; refused messages never appear', async () => {
  assert(down, 'the Redis-stopped setup failed');
  const { room, a, b, s, oldEpoch } = down;
  await eventually(async () => {
    const text = `back-${Date.now()}`;
    b.send({ type: 'message', room, text });
    const e = await b.inbox.take((x) => x.type === 'error' || (isMsg(room)(x) && x.text === text), 'the answer', 1500);
    assert.equal(e.type, 'message', `publishing after the restart: ${JSON.stringify(e)}`);
    down.msg = e;
  }, 6000);
  const reset = await b.inbox.take((e) => e.type === 'reset' && e.room === room, 'reset (Redis came back empty)');
  assertResetFirst(b, room, reset, down.msg, oldEpoch);
  for (const x of [a, s]) await resetThenMessage(x, room, down.msg.text, oldEpoch);
  await sleep(500);
  for (const x of [a, b, s, down.p]) assert(x.inbox.seen.every((e) => e.text !== 'lost-ws' && e.text !== 'lost-post'), `${x.label}: a refused message was published later`);
});

await check('Redis restarted empty: the long-poll reader (C) gets reset (event or 409), then the message', async () => {
  assert(down?.msg, 'the Redis-restart check failed before publishing');
  tracked.push(down.a, down.b, down.s, down.p);
  await resetThenMessage(down.p, down.room, down.msg.text, down.oldEpoch);
});

await check('no node died unexpectedly; every node still answers /healthz', async () => {
  assert.deepEqual(died.map((d) => `${d.what} exited ${JSON.stringify({ code: d.code, signal: d.signal })}: ${d.log.slice(-400)}`), []);
  for (const n of nodes) assert.equal((await fetch(`${n.base}/healthz`)).status, 200, `${n.id} /healthz`);
});

clearTimeout(globalTimer);
if (failures) {
  for (const n of nodes) console.log(`# --- ${n.id} log (last lines) ---\n${n.log.split('\n').slice(-15).map((l) => `#   ${l}`).join('\n')}`);
}
console.log(`# chat cluster: ${passed} passed, ${failures} failed`);
proxy.close();
process.exit(failures ? 1 : 0);
