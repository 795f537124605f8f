// chat_server protocol tests from node (ws, eventsource, fetch) against the running server.
// Started by run.sh with: --max-text 1000 --rate 5 --grace-ms 1500 --heartbeat-ms 200
// --allow-origin http://allowed.example. Usage: node protocol.mjs PORT
import assert from 'node:assert/strict';
import { EventSource } from 'eventsource';
import WebSocket from 'ws';
import net from 'node:net';

const port = Number(process.argv[2]);
const base = `http://127.0.0.1:${port}`;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const CURSOR = /^[0-9a-f]+-[0-9]+$/;

// An event queue: take(pred) resolves with the first matching event (waiting up to 3 s).
class Inbox {
  constructor() { this.items = []; this.waiters = []; }
  push(ev) {
    const w = this.waiters.findIndex((x) => x.pred(ev));
    if (w >= 0) { const [x] = this.waiters.splice(w, 1); clearTimeout(x.timer); x.resolve(ev); return; }
    this.items.push(ev);
  }
  take(pred = () => true, what = 'an event') {
    if (typeof pred === 'string') { const t = pred; what = t; pred = (e) => e.type === t; }
    const i = this.items.findIndex(pred);
    if (i >= 0) return Promise.resolve(this.items.splice(i, 1)[0]);
    return new Promise((resolve, reject) => {
      const x = { pred, resolve };
      x.timer = setTimeout(() => {
        this.waiters.splice(this.waiters.indexOf(x), 1);
        reject(new Error(`timed out waiting for ${what}; queued: ${JSON.stringify(this.items).slice(0, 400)}`));
      }, 3000);
      this.waiters.push(x);
    });
  }
  none(pred) { return !this.items.some(pred); }
}

async function wsClient(query = '', headers = {}) {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/ws${query}`, { headers });
  const inbox = new Inbox();
  ws.on('message', (d) => inbox.push(JSON.parse(d.toString())));
  await new Promise((res, rej) => { ws.once('open', res); ws.once('error', rej); ws.once('unexpected-response', (_, r) => rej(new Error(`status ${r.statusCode}`))); });
  const c = { ws, inbox, send: (o) => ws.send(typeof o === 'string' ? o : JSON.stringify(o)) };
  const connected = await inbox.take('connected');
  Object.assign(c, { id: connected.clientId, token: connected.token });
  return c;
}

function sseClient(query, headers = {}) {
  const inbox = new Inbox();
  const es = new EventSource(`${base}/sse${query}`, {
    fetch: (input, init) => fetch(input, { ...init, headers: { ...init.headers, ...headers } }),
  });
  for (const t of ['connected', 'joined', 'message', 'user-joined', 'user-left', 'private', 'signal', 'reset', 'stats', 'chat-error'])
    es.addEventListener(t, (e) => inbox.push({ ...JSON.parse(e.data), sseType: e.type, sseId: e.lastEventId }));
  return { es, inbox };
}

const post = (token, body) => fetch(`${base}/send`, {
  method: 'POST',
  headers: token ? { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' } : {},
  body: typeof body === 'string' ? body : JSON.stringify(body),
});
const poll = async (params) => {
  const r = await fetch(`${base}/poll?${new URLSearchParams(params)}`);
  return { status: r.status, body: await r.json() };
};

const SDP = 'v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\nm=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\nc=IN IP4 0.0.0.0\r\na=mid:0\r\n';
const CAND = 'candidate:1 1 udp 2122260223 192.0.2.10 54321 typ host generation 0';
let passed = 0;
// CHAT_ONLY=<regex>: run only the matching tests (to check one fix; the rest may depend on them).
const only = process.env.CHAT_ONLY ? new RegExp(process.env.CHAT_ONLY) : null;
async function test(name, fn) {
  if (only && !only.test(name)) return;
  await fn();
  passed++;
  console.log(`ok - ${name}`);
}

// ---------------------------------------------------------------------------------------------
await test('GET /, /healthz, /config', async () => {
  const page = await fetch(`${base}/`);
  assert.equal(page.status, 200);
  assert.match(page.headers.get('content-type'), /text\/html/);
  const h = await fetch(`${base}/healthz`);
  assert.equal(h.status, 200);
  assert.equal(await h.text(), 'ok');
  assert.deepEqual(await (await fetch(`${base}/config`)).json(), { iceServers: [] });
  assert.equal((await fetch(`${base}/../etc/passwd`)).status, 404);
  assert.equal((await fetch(`${base}/nothing-here.js`)).status, 404);
  const big = await fetch(`${base}/healthz`, { headers: { 'X-Big': 'a'.repeat(9000) } });
  assert.equal(big.status, 431);
  assert.equal(big.statusText, 'Request Header Fields Too Large');
  assert.doesNotMatch(await big.text(), /bad request/);
});

const a = await wsClient();
const b = await wsClient();
let lastId;
await test('WS: connected, joined (members include the joiner), user-joined, message', async () => {
  assert.match(a.id, /./); assert.match(a.token, /^[0-9a-f]{32}$/);
  a.send({ type: 'join', room: 'r1', name: 'ann' });
  const ja = await a.inbox.take('joined');
  assert.deepEqual(ja.members, [{ clientId: a.id, name: 'ann' }]);
  assert.match(ja.cursor, CURSOR);
  assert(a.inbox.none((e) => e.type === 'user-joined'), 'the joiner gets no user-joined of its own');
  b.send({ type: 'join', room: 'r1', name: 'bob' });
  const jb = await b.inbox.take('joined');
  assert.equal(jb.members.length, 2);
  const uj = await a.inbox.take('user-joined');
  assert.deepEqual([uj.room, uj.clientId, uj.name], ['r1', b.id, 'bob']);
  assert.equal(uj.id, jb.cursor, 'joined.cursor is the position right after the own user-joined');
  a.send({ type: 'message', room: 'r1', text: 'hello <b>' });
  const ma = await a.inbox.take('message');
  const mb = await b.inbox.take('message');
  assert.deepEqual(ma, mb);
  assert.equal(ma.from, a.id); assert.equal(ma.name, 'ann'); assert.equal(ma.text, 'hello <b>');
  assert.equal(typeof ma.ts, 'number'); assert(Math.abs(ma.ts - Date.now()) < 60000);
  assert.match(ma.id, CURSOR);
  lastId = ma.id;
});

await test('WS: private (echoed), signal relay and validation', async () => {
  a.send({ type: 'private', to: b.id, text: 'psst' });
  const pb = await b.inbox.take('private');
  const pa = await a.inbox.take('private');
  assert.deepEqual(pa, pb);
  assert.deepEqual([pb.from, pb.to, pb.text, pb.name], [a.id, b.id, 'psst', 'ann']);
  a.send({ type: 'private', to: 'nobody', text: 'x' });
  assert.equal((await a.inbox.take('error')).code, 'unknown-client');
  a.send({ type: 'signal', to: b.id, data: { description: { type: 'offer', sdp: SDP } } });
  const sg = await b.inbox.take('signal');
  assert.deepEqual([sg.from, sg.to, sg.data.description.sdp], [a.id, b.id, SDP]);
  a.send({ type: 'signal', to: b.id, data: { candidate: { candidate: CAND, sdpMid: '0' } } });
  assert.equal((await b.inbox.take('signal')).data.candidate.candidate, CAND);
  a.send({ type: 'signal', to: b.id, data: { candidate: { candidate: '' } } });
  assert.equal((await b.inbox.take('signal')).data.candidate.candidate, '');
  a.send({ type: 'signal', to: b.id, data: { description: { type: 'offer', sdp: 'v=0\r\nx' } } });
  const e1 = await a.inbox.take('error');
  assert.equal(e1.code, 'bad-signal'); assert.match(e1.message, /^\d+:\d+ /);
  a.send({ type: 'signal', to: b.id, data: { candidate: { candidate: 'candidate:1 1 udp nope' } } });
  const e2 = await a.inbox.take('error');
  assert.equal(e2.code, 'bad-signal'); assert.match(e2.message, /^1:\d+ /);
  a.send({ type: 'signal', to: b.id, data: { description: { type: 'offer', sdp: SDP + 'a=x:'.padEnd(70000, 'y') + '\r\n' } } });
  assert.equal((await a.inbox.take('error')).code, 'bad-signal', 'an oversize SDP is bad-signal, not a 1009 close');
  a.send({ type: 'signal', to: 'nobody', data: {} });
  assert.equal((await a.inbox.take('error')).code, 'unknown-client');
  await sleep(50);
  assert(b.inbox.none((e) => e.type === 'signal'), 'nothing invalid was forwarded');
});

await test('WS: errors keep the connection usable', async () => {
  for (const [msg, code] of [
    ['{not json', 'bad-request'],
    [{ type: 'nope' }, 'bad-request'],
    [{ type: 'join', room: 'bad room!', name: 'x' }, 'bad-request'],
    [{ type: 'join', room: 'r1', name: 'x'.repeat(33) }, 'bad-request'],
    [{ type: 'join', room: 'r1', name: '' }, 'bad-request'],
    [{ type: 'join', room: 'r1', name: 'ann', since: 'garbage' }, 'bad-request'],
    [{ type: 'message', room: 'r1', text: 'é'.repeat(501) }, 'too-large'],
    [{ type: 'message', room: 'elsewhere', text: 'x' }, 'bad-request'],
    ['{"type":"signal","to":"x","data":' + '['.repeat(200000) + ']'.repeat(200000) + '}', 'bad-request'],
  ]) {
    a.send(msg);
    const e = await a.inbox.take('error');
    assert.equal(e.code, code, JSON.stringify(msg)); assert.equal(typeof e.message, 'string');
  }
  const name32 = 'ü'.repeat(32); // 32 code points, 64 bytes
  const c = await wsClient();
  c.send({ type: 'join', room: 'r1', name: name32 });
  assert.equal((await c.inbox.take('joined')).room, 'r1');
  c.ws.close();
  a.send({ type: 'stats' });
  const st = await a.inbox.take('stats');
  assert.equal(st.rooms.r1.members >= 2, true);
  for (const k of ['connections', 'rooms', 'messages_in', 'deliveries', 'uptime_s']) assert(k in st, k);
});

await test('one object of 90k keys is answered within a second; /healthz stays responsive', async () => {
  // ~1 MB, under the 1 MiB message limit: parsing it must not be quadratic in the key count.
  const keys = Array.from({ length: 90000 }, (_, i) => `"k${i}":0`).join(',');
  const t0 = Date.now();
  a.send(`{"type":"stats",${keys}}`);
  const h0 = Date.now();
  const h = await fetch(`${base}/healthz`, { signal: AbortSignal.timeout(5000) });
  assert.equal(h.status, 200);
  assert(Date.now() - h0 < 1500, `/healthz took ${Date.now() - h0} ms`);
  await a.inbox.take('stats');
  assert(Date.now() - t0 < 1500, `the stats reply took ${Date.now() - t0} ms`);
  const r = await post(b.token, `{"type":"nope",${keys}}`);
  assert.equal(r.status, 400); assert.equal((await r.json()).code, 'bad-request');
  assert(Date.now() - t0 < 3000, `POST /send took ${Date.now() - t0} ms`);
});

await test('rate limit: every message is delivered or answered rate-limited', async () => {
  const c = await wsClient();
  c.send({ type: 'join', room: 'rate', name: 'fast' });
  await c.inbox.take('joined');
  for (let i = 0; i < 20; i++) c.send({ type: 'message', room: 'rate', text: `m${i}` });
  let delivered = 0, limited = 0;
  for (let i = 0; i < 20; i++) {
    const e = await c.inbox.take((x) => x.type === 'message' || x.type === 'error', 'message or error');
    if (e.type === 'message') delivered++; else { assert.equal(e.code, 'rate-limited'); limited++; }
  }
  assert.equal(delivered + limited, 20);
  assert(limited >= 5 && delivered >= 10, `delivered ${delivered}, limited ${limited}`);
  c.ws.close();
});

await test('WS Origin check: 403 for a foreign origin', async () => {
  await assert.rejects(wsClient('', { Origin: 'http://evil.example' }), /403/);
  (await wsClient('', { Origin: `http://127.0.0.1:${port}` })).ws.close();
  (await wsClient('', { Origin: 'http://allowed.example' })).ws.close();
});

await test('POST /send: 202, 401, 400, 404, 413, 429', async () => {
  await sleep(2100); // a's token bucket refills (--rate 5, burst 10)
  assert.equal((await post(null, { type: 'stats' })).status, 401);
  assert.equal((await post('0'.repeat(32), { type: 'stats' })).status, 401);
  const r = await post(a.token, { type: 'message', room: 'r1', text: 'via send' });
  assert.equal(r.status, 202); assert.deepEqual(await r.json(), { ok: true });
  assert.equal((await b.inbox.take('message')).text, 'via send');
  const bad = await post(a.token, '{oops');
  assert.equal(bad.status, 400); assert.equal((await bad.json()).code, 'bad-request');
  const unk = await post(a.token, { type: 'private', to: 'ghost', text: 'x' });
  assert.equal(unk.status, 404); assert.deepEqual(Object.keys(await unk.json()), ['type', 'code', 'message']);
  const big = await post(a.token, { type: 'message', room: 'r1', text: 'x'.repeat(1001) });
  assert.equal(big.status, 413); assert.equal((await big.json()).code, 'too-large');
  const sig = await post(a.token, { type: 'signal', to: b.id, data: { candidate: { candidate: 'zzz' } } });
  assert.equal(sig.status, 400); assert.equal((await sig.json()).code, 'bad-signal');
  await sleep(50);
  assert(a.inbox.none((e) => e.type === 'error'), 'errors of POST /send are not also sent on the stream');
  let limited = 0;
  for (let i = 0; i < 15; i++) if ((await post(a.token, { type: 'message', room: 'r1', text: 'burst' })).status === 429) limited++;
  assert(limited > 0, 'rate limit applies to POST /send');
  await sleep(2100); // refill
  while (b.inbox.items.length) b.inbox.items.pop();
  while (a.inbox.items.length) a.inbox.items.pop();
});

// A raw request (head only): resolves with the whole response once the server closes.
function rawRequest(head) {
  return new Promise((resolve, reject) => {
    const sock = net.connect(port, '127.0.0.1', () => sock.write(head));
    let text = '';
    sock.on('data', (d) => { text += d.toString(); });
    sock.on('close', () => resolve(text));
    sock.on('error', reject);
  });
}

await test('POST /send: a body over the limit is 413 too-large, a chunked one 411, as error JSON', async () => {
  const big = await rawRequest(`POST /send HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${a.token}\r\nContent-Type: application/json\r\nContent-Length: 1153434\r\n\r\n`);
  assert.match(big, /^HTTP\/1\.1 413 /);
  assert.match(big, /\r\nContent-Type: application\/json\r\n/i);
  const e1 = JSON.parse(big.slice(big.indexOf('\r\n\r\n') + 4));
  assert.deepEqual([Object.keys(e1), e1.type, e1.code], [['type', 'code', 'message'], 'error', 'too-large']);
  const chunked = await rawRequest(`POST /send HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${a.token}\r\nTransfer-Encoding: chunked\r\n\r\n`);
  assert.match(chunked, /^HTTP\/1\.1 411 /);
  const e2 = JSON.parse(chunked.slice(chunked.indexOf('\r\n\r\n') + 4));
  assert.deepEqual([e2.type, e2.code], ['error', 'bad-request']);
  assert.equal(typeof e2.message, 'string');
});

await test('long polling: first call, park, timeout, 409, 400, 401', async () => {
  const first = await poll({ room: 'r1', name: 'lp' });
  assert.equal(first.status, 200);
  const { clientId, token, cursor } = first.body;
  assert.equal(first.body.events.length, 1);
  assert.equal(first.body.events[0].type, 'joined');
  assert.equal(first.body.events[0].cursor, cursor);
  const t0 = Date.now();
  const empty = await poll({ room: 'r1', name: 'lp', token, cursor, timeout: 150 });
  assert.equal(empty.status, 200); assert.deepEqual(empty.body.events, []); assert.equal(empty.body.cursor, cursor);
  assert(Date.now() - t0 >= 120, 'parked until the timeout');
  const parked = poll({ room: 'r1', name: 'lp', token, cursor, timeout: 5000 });
  await sleep(100);
  a.send({ type: 'message', room: 'r1', text: 'to lp' });
  const got = await parked;
  assert.equal(got.body.clientId, clientId);
  assert.deepEqual(got.body.events.map((e) => e.text), ['to lp']);
  assert.equal(got.body.cursor, got.body.events[0].id);
  const stale = await poll({ room: 'r1', name: 'lp', token, cursor: '1-1' });
  assert.equal(stale.status, 409); assert.equal(stale.body.reset, true); assert.match(stale.body.cursor, CURSOR);
  assert.equal((await poll({ room: 'r1', name: 'lp', token, cursor: 'x-y' })).status, 400);
  assert.equal((await poll({ room: 'r1', name: 'lp', token: 'f'.repeat(32) })).status, 401);
  assert.equal((await poll({ room: 'bad room', name: 'lp' })).status, 400);
  assert.equal((await poll({ room: 'r1', name: 'lp', token, timeout: 'soon' })).status, 400);
  // private over long poll (a direct event, not in the room log)
  a.send({ type: 'private', to: clientId, text: 'lp private' });
  const pv = await poll({ room: 'r1', name: 'lp', token, timeout: 2000 });
  assert(pv.body.events.some((e) => e.type === 'private' && e.text === 'lp private'));
  const st = await (await fetch(`${base}/stats`)).json();
  assert(st.connections.long_poll >= 1);
  await post(token, { type: 'leave', room: 'r1' });
});

await test('long polling: leave sticks (the next poll does not re-join)', async () => {
  const first = await poll({ room: 'lv', name: 'l' });
  const { token, clientId } = first.body;
  const obs = await wsClient();
  obs.send({ type: 'join', room: 'lv', name: 'obs' });
  await obs.inbox.take('joined');
  assert.equal((await post(token, { type: 'leave', room: 'lv' })).status, 202);
  assert.equal((await obs.inbox.take('user-left')).clientId, clientId);
  const p = await poll({ room: 'lv', name: 'l', token, timeout: 0 });
  assert.equal(p.status, 200);
  assert(!p.body.events.some((e) => e.type === 'joined' || (e.type === 'user-joined' && e.clientId === clientId)),
    JSON.stringify(p.body.events));
  await sleep(100);
  assert(obs.inbox.none((e) => e.type === 'user-joined' && e.clientId === clientId), 'not re-joined');
  const st = await (await fetch(`${base}/stats`)).json();
  assert.equal(st.rooms.lv.members, 1);
  obs.ws.close();
});

await test('long polling: a first poll replays from its cursor; one not a cursor is 400', async () => {
  const bad = await poll({ room: 'fc', name: 'a', cursor: 'garbage' });
  assert.equal(bad.status, 400); assert.equal(bad.body.code, 'bad-request');
  const w = await wsClient();
  w.send({ type: 'join', room: 'fc2', name: 'w' });
  const { cursor: c0 } = await w.inbox.take('joined');
  w.send({ type: 'message', room: 'fc2', text: 'before' });
  await w.inbox.take('message');
  const p = await poll({ room: 'fc2', name: 'b', cursor: c0 });
  assert.equal(p.status, 200);
  assert.deepEqual(p.body.events.map((e) => e.type), ['message', 'joined']);
  assert.equal(p.body.events[0].text, 'before');
  assert.equal(p.body.cursor, p.body.events[1].cursor);
  w.send({ type: 'message', room: 'fc2', text: 'after' });
  const q = await poll({ room: 'fc2', name: 'b', token: p.body.token, timeout: 2000 });
  assert.deepEqual(q.body.events.map((e) => e.text), ['after']);
  w.ws.close();
});

await test('long poll -> SSE: the direct events handed over keep their type', async () => {
  const first = await poll({ room: 'pp', name: 'lp' });
  const { clientId, token, cursor } = first.body;
  const w = await wsClient();
  w.send({ type: 'join', room: 'pp', name: 'w' });
  await w.inbox.take('joined');
  w.send({ type: 'private', to: clientId, text: 'secret' });
  await w.inbox.take('private'); // the echo
  w.send({ type: 'signal', to: clientId, data: { candidate: { candidate: CAND } } });
  await sleep(100);
  const s = sseClient(`?room=pp&name=lp&resume=${token}&lastEventId=${cursor}`);
  const pv = await s.inbox.take('private');
  assert.equal(pv.sseType, 'private'); assert.equal(pv.text, 'secret');
  const sg = await s.inbox.take('signal');
  assert.equal(sg.sseType, 'signal'); assert.equal(sg.data.candidate.candidate, CAND);
  s.es.close();
  w.ws.close();
});

await test('SSE: connected, joined, ids, reset for a malformed Last-Event-ID, 400', async () => {
  assert.equal((await fetch(`${base}/sse?room=bad%20room&name=x`)).status, 400);
  assert.equal((await fetch(`${base}/sse?room=r1&name=`)).status, 400);
  const s = sseClient('?room=r1&name=sse1');
  const c = await s.inbox.take('connected');
  const j = await s.inbox.take('joined');
  assert.equal(j.sseType, 'joined');
  a.send({ type: 'message', room: 'r1', text: 'to sse' });
  const m = await s.inbox.take('message');
  assert.equal(m.sseId, m.id, 'SSE id: is the event id'); assert.equal(m.sseType, 'message');
  const r = await post(c.token, { type: 'stats' });
  assert.equal(r.status, 202);
  assert.equal((await s.inbox.take('stats')).sseType, 'stats');
  s.es.close();
  const s2 = sseClient('?room=r1&name=sse2', { 'Last-Event-ID': 'not-a-cursor' });
  const rs = await s2.inbox.take('reset');
  assert.match(rs.cursor, CURSOR);
  await s2.inbox.take('joined');
  s2.es.close();
  // Heartbeat comments (--heartbeat-ms 200) on the raw stream.
  const ctl = new AbortController();
  const raw = await fetch(`${base}/sse?room=r1&name=raw`, { signal: ctl.signal });
  assert.equal(raw.headers.get('content-type'), 'text/event-stream');
  const reader = raw.body.getReader();
  let text = '';
  const t0 = Date.now();
  while (!/\n:\n/.test(text) && Date.now() - t0 < 3000) text += new TextDecoder().decode((await reader.read()).value);
  assert.match(text, /\n:\n/, 'a heartbeat comment arrives');
  assert.match(text, /^retry: \d+\nevent: connected\ndata: \{"type":"connected"/);
  ctl.abort();
});

await test('resume across transports (WS -> SSE -> long poll) with the same cursor, no presence churn', async () => {
  const obs = await wsClient();
  obs.send({ type: 'join', room: 'x1', name: 'obs' });
  await obs.inbox.take('joined');
  const d = await wsClient();
  d.send({ type: 'join', room: 'x1', name: 'dan' });
  await d.inbox.take('joined');
  await obs.inbox.take('user-joined');
  obs.send({ type: 'message', room: 'x1', text: 'm1' });
  const m1 = await d.inbox.take('message');
  d.ws.close();
  await sleep(100);
  obs.send({ type: 'message', room: 'x1', text: 'm2' });
  obs.send({ type: 'message', room: 'x1', text: 'm3' });
  await obs.inbox.take((e) => e.text === 'm3', 'm3');
  // SSE, resumed by token from m1's cursor: same clientId, m2 and m3 replayed.
  const s = sseClient(`?room=x1&name=dan&resume=${d.token}&lastEventId=${m1.id}`);
  const c = await s.inbox.take('connected');
  assert.equal(c.clientId, d.id); assert.equal(c.token, d.token);
  assert.equal((await s.inbox.take('message')).text, 'm2');
  const m3 = await s.inbox.take('message');
  assert.equal(m3.text, 'm3'); assert.equal(m3.sseId, m3.id);
  await s.inbox.take('joined');
  s.es.close();
  await sleep(100);
  obs.send({ type: 'message', room: 'x1', text: 'm4' });
  await obs.inbox.take((e) => e.text === 'm4', 'm4');
  // Long poll with the same token and m3's cursor: m4.
  const p = await poll({ room: 'x1', name: 'dan', token: d.token, cursor: m3.id, timeout: 1000 });
  assert.equal(p.status, 200); assert.equal(p.body.clientId, d.id);
  assert.deepEqual(p.body.events.map((e) => e.text), ['m4']);
  // Back to WebSocket: resume + join since m4 -> nothing replayed, joined.
  obs.send({ type: 'message', room: 'x1', text: 'm5' });
  const d2 = await wsClient(`?resume=${d.token}`);
  assert.equal(d2.id, d.id);
  d2.send({ type: 'join', room: 'x1', name: 'dan', since: p.body.cursor });
  assert.equal((await d2.inbox.take('message')).text, 'm5');
  const jj = await d2.inbox.take('joined');
  assert(jj.members.some((m) => m.clientId === d.id));
  await sleep(100);
  assert(obs.inbox.none((e) => (e.type === 'user-left' || e.type === 'user-joined') && e.clientId === d.id),
    'a resume within the grace period publishes no user-left/user-joined');
  // A stale since gives reset, then joined.
  d2.send({ type: 'join', room: 'x1', name: 'dan', since: '1-1' });
  assert.equal((await d2.inbox.take('reset')).room, 'x1');
  await d2.inbox.take('joined');
  d2.ws.close();
  obs.ws.close();
});

await test('grace period: a session not resumed in --grace-ms leaves (user-left), its token expires', async () => {
  const obs = await wsClient();
  obs.send({ type: 'join', room: 'g1', name: 'obs' });
  await obs.inbox.take('joined');
  const f = await wsClient();
  f.send({ type: 'join', room: 'g1', name: 'fay' });
  await f.inbox.take('joined');
  f.ws.close();
  await sleep(600);
  assert(obs.inbox.none((e) => e.type === 'user-left'), 'not before the grace period');
  const left = await obs.inbox.take('user-left');
  assert.equal(left.clientId, f.id);
  const again = await wsClient(`?resume=${f.token}`);
  assert.notEqual(again.id, f.id, 'an expired token gives a new session');
  assert.equal((await post(f.token, { type: 'stats' })).status, 401);
  again.ws.close();
  obs.ws.close();
});

await test('GET /stats', async () => {
  const st = await (await fetch(`${base}/stats`)).json();
  assert.deepEqual(Object.keys(st), ['connections', 'rooms', 'messages_in', 'deliveries', 'uptime_s']);
  assert.deepEqual(Object.keys(st.connections), ['websocket', 'sse', 'long_poll']);
  assert.equal(st.connections.websocket, 2); // a and b
  assert.equal(st.rooms.r1.members >= 2, true);
  assert(st.rooms.r1.messages >= 4, JSON.stringify(st.rooms.r1));
  assert(st.deliveries > 0 && st.messages_in > 0);
});

// A second server with --max-buffered 262144 --rate 100000 --max-text 16384 --history 5000 (run.sh, argv[3]).
const slowPort = Number(process.argv[3]);
if (slowPort) await test('--max-buffered: a slow WebSocket is closed 1008 and loses nothing on resume', async () => {
  const url = `ws://127.0.0.1:${slowPort}/ws`;
  const open = (q) => new Promise((res, rej) => {
    const ws = new WebSocket(url + q);
    const inbox = new Inbox();
    ws.on('message', (d) => inbox.push(JSON.parse(d.toString())));
    ws.once('open', () => res({ ws, inbox }));
    ws.once('error', rej);
  });
  const fast = await open('');
  fast.ws.send(JSON.stringify({ type: 'join', room: 'big', name: 'fast' }));
  await fast.inbox.take('joined');
  const slow = await open('');
  const { token } = await slow.inbox.take('connected');
  slow.ws.send(JSON.stringify({ type: 'join', room: 'big', name: 'slow' }));
  await slow.inbox.take('joined');
  slow.ws._socket.pause(); // stop reading: the server's output piles up
  const N = 4000;
  for (let i = 0; i < N; i++) fast.ws.send(JSON.stringify({ type: 'message', room: 'big', text: `m${i} `.padEnd(4000, 'x') }));
  // Every message published (the slow client's output overflowed meanwhile), then it reads.
  for (let i = 0; i < N; i++) await fast.inbox.take('message');
  const texts = [];
  let last = null, closes1008 = 0, conn = slow;
  for (let round = 0; round < 100 && texts.length < N; round++) {
    const closed = new Promise((res) => conn.ws.once('close', (code) => res(code)));
    conn.ws.on('message', (d) => {
      const e = JSON.parse(d.toString());
      if (e.type === 'message') { texts.push(e.text.split(' ')[0]); last = e.id; }
    });
    if (round === 0) conn.ws._socket.resume();
    const code = await Promise.race([closed, (async () => {
      while (texts.length < N) await sleep(20);
      return 'done';
    })()]);
    if (code === 'done') break;
    // 1008 after the queued bytes; 1006 only if the server gave up on a client that stopped
    // reading for 15 s (a loaded machine): either way it resumes from its cursor.
    assert(code === 1008 || code === 1006, `close code ${code}`);
    if (code === 1008) closes1008++;
    conn = await open(`?resume=${token}`);
    conn.ws.send(JSON.stringify({ type: 'join', room: 'big', name: 'slow', since: last }));
  }
  assert(closes1008 >= 1, 'the slow client was closed with 1008');
  assert.deepEqual(texts, Array.from({ length: N }, (_, i) => `m${i}`), 'every message once, in order');
  conn.ws.close();
  fast.ws.close();
});

if (slowPort) await test('--max-buffered: a slow SSE stream is flushed and closed; no direct event is lost', async () => {
  const slowBase = `http://127.0.0.1:${slowPort}`;
  // A raw SSE client that stops reading: its events pile up in the server.
  const sock = net.connect(slowPort, '127.0.0.1');
  await new Promise((res, rej) => { sock.once('connect', res); sock.once('error', rej); });
  let raw = '';
  sock.on('data', (d) => { raw += d.toString(); });
  const ended = new Promise((res) => sock.once('close', res));
  sock.write('GET /sse?room=ov&name=slow HTTP/1.1\r\nHost: x\r\n\r\n');
  while (!/"type":"joined"/.test(raw)) await sleep(10);
  const token = /"token":"([0-9a-f]+)"/.exec(raw)[1];
  sock.pause();
  const w = new WebSocket(`ws://127.0.0.1:${slowPort}/ws`);
  const inbox = new Inbox();
  w.on('message', (d) => inbox.push(JSON.parse(d.toString())));
  await new Promise((res) => w.once('open', res));
  const { clientId } = await inbox.take('connected');
  void clientId;
  w.send(JSON.stringify({ type: 'join', room: 'ov', name: 'w' }));
  const joined = await inbox.take('joined');
  const slowId = joined.members.find((m) => m.name === 'slow').clientId;
  const N = 1000;
  for (let i = 0; i < N; i++) w.send(JSON.stringify({ type: 'private', to: slowId, text: `p${i} `.padEnd(12000, 'x') }));
  for (let i = 0; i < N; i++) {
    const e = await inbox.take((x) => x.type === 'private' || x.type === 'error', 'private echo');
    assert.equal(e.type, 'private', JSON.stringify(e).slice(0, 200)); // every private accepted
  }
  // Read what was queued: the server writes it, then closes the stream.
  sock.resume();
  await Promise.race([ended, sleep(10000).then(() => { throw new Error('the overflowed stream was not closed'); })]);
  const texts = [];
  for (const block of raw.split('\n\n').slice(0, -1)) { // whole events only
    const m = /^event: private\ndata: (.*)$/m.exec(block);
    if (m) texts.push(JSON.parse(m[1]).text.split(' ')[0]);
  }
  assert(texts.length < N, 'the stream overflowed');
  // Resume: the rest comes from the mailbox.
  const s = new EventSource(`${slowBase}/sse?room=ov&name=slow&resume=${token}`);
  const got = new Inbox();
  s.addEventListener('private', (e) => got.push(JSON.parse(e.data)));
  while (texts.length < N) texts.push((await got.take('private')).text.split(' ')[0]);
  assert.deepEqual(texts, Array.from({ length: N }, (_, i) => `p${i}`), 'every private once, in order');
  s.close();
  w.close();
});

a.ws.close();
b.ws.close();
console.log(`chat protocol: ${passed} tests OK`);
process.exit(0);
