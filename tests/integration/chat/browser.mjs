// Browser tests of examples/chat: real pages in Debian's chromium (playwright-core) against the
// real chat_server. Run by browser.sh inside a private network namespace (see there).
//
//   node browser.mjs --server /path/to/chat_server [--chromium /usr/bin/chromium] [--screenshot PNG]
//
// Checks, each in its own room:
//  1. forced transports: three pages per transport (?transport=websocket|sse|long-poll) chat in
//     one room: members, room messages in one order on every page, a private message reaches only
//     its target (and is echoed to its sender), and the server's /stats counts that transport;
//  2. automatic fallback: a TCP proxy answers the /ws upgrade with 403 (page → sse), a second one
//     also refuses /sse (page → long-poll), a third page goes direct (websocket); all three chat;
//  3. drops: the proxy cuts a page's connections and refuses new ones for a while; messages sent
//     meanwhile (by others, and by the page itself) arrive exactly once, in order, with the same
//     clientId and no user-left/user-joined; on each transport, and across transports (websocket →
//     sse → long-poll as the proxy refuses each in turn);
//  4. reset: behind a server keeping 4 events per room, a page away for longer shows the
//     `reset`, skips the lost events and continues live, nothing twice (each transport);
//     away longer than the grace period, a page comes back as a new member (each transport);
//     XSS payloads in messages and names render as text;
//  5. WebRTC: three pages form a mesh (every peer `connected`, channel `chat` open), exchange P2P
//     messages (data-via="p2p", data-from = sender), none of which reaches the server; a page that
//     leaves is closed on the others; simultaneous ICE restarts (glare) are resolved; a pair whose
//     candidates the proxy drops stays `new` until the impolite side's watchdog restarts ICE.
//     The screenshot for the README is taken here.
// Deterministic (fixed rooms, names, texts; every wait is for a condition, bounded) and bounded
// in time (GLOBAL_TIMEOUT_MS); the server, the browser and the proxies are stopped at the end.

import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

const require = createRequire(new URL('./browser/package.json', import.meta.url));
const { chromium } = require('playwright-core');

const GLOBAL_TIMEOUT_MS = 360_000;
const WAIT_MS = 20_000;
const GRACE_MS = 8000;

// ---- arguments ------------------------------------------------------------------------------
const argv = process.argv.slice(2);
const opt = (name, fallback) => {
  const i = argv.indexOf(name);
  return i >= 0 && i + 1 < argv.length ? argv[i + 1] : fallback;
};
const serverBin = opt('--server');
const chromiumBin = opt('--chromium', '/usr/bin/chromium');
const screenshotPath = opt('--screenshot', null);
const only = opt('--only', null); // run one check by name (debugging)
if (!serverBin) {
  console.error('usage: node browser.mjs --server /path/to/chat_server [--screenshot PNG]');
  process.exit(2);
}

// ---- process bookkeeping ----------------------------------------------------------------------
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'rtwire-chat-browser-'));
const servers = [];
let browser = null;
const proxies = [];

async function cleanup() {
  for (const p of proxies) p.close();
  if (browser) await Promise.race([browser.close().catch(() => {}), sleep(5000)]);
  browser = null;
  for (const srv of servers) {
    if (srv.exitCode !== null) continue;
    srv.kill('SIGTERM');
    await Promise.race([new Promise((r) => srv.once('exit', r)), sleep(2000)]);
    if (srv.exitCode === null) srv.kill('SIGKILL');
  }
}

const globalTimer = setTimeout(async () => {
  console.error(`not ok - global timeout (${GLOBAL_TIMEOUT_MS} ms)`);
  dumpServerLog();
  await cleanup();
  process.exit(1);
}, GLOBAL_TIMEOUT_MS);
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, async () => {
    await cleanup();
    process.exit(1);
  });
}

function dumpServerLog() {
  try {
    const log = fs.readFileSync(path.join(tmp, 'server.log'), 'utf8');
    console.error('--- chat_server log (last 40 lines) ---');
    console.error(log.split('\n').slice(-40).join('\n'));
  } catch {
    // no log yet
  }
}

async function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

async function startServer(extra = []) {
  const port = await freePort();
  const log = fs.openSync(path.join(tmp, servers.length ? `server${servers.length}.log` : 'server.log'), 'w');
  const server = spawn(serverBin,
    ['--host', '127.0.0.1', '--port', String(port),
      ...(extra.includes('--grace-ms') ? [] : ['--grace-ms', String(GRACE_MS)]), ...extra],
    { stdio: ['ignore', log, log] });
  servers.push(server);
  const base = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if (server.exitCode !== null) throw new Error(`chat_server exited with ${server.exitCode}`);
    try {
      const res = await fetch(`${base}/healthz`);
      if (res.ok) return base;
    } catch {
      // not listening yet
    }
    await sleep(50);
  }
  throw new Error('chat_server did not answer /healthz within 10 s');
}

// ---- the TCP proxy ------------------------------------------------------------------------------
// HTTP-aware just enough to classify each request on a connection (requests are sequential:
// no pipelining from browsers); after a WebSocket upgrade it pipes bytes. It can refuse a kind
// of request with 403, cut every connection, and refuse new connections while `down`.
class Proxy {
  constructor(target, refuse = []) {
    this.target = target;
    this.refuse = new Set(refuse);
    this.down = false;
    this.eat = null; // (text) => true drops that server → client WebSocket text frame
    this.eaten = 0;
    this.conns = new Set();
    this.counts = { ws: 0, sse: 0, poll: 0, send: 0, other: 0, refused: 0 };
    this.server = net.createServer((client) => this.#accept(client));
  }

  async listen() {
    await new Promise((r) => this.server.listen(0, '127.0.0.1', r));
    this.base = `http://127.0.0.1:${this.server.address().port}`;
    proxies.push(this);
    return this;
  }

  cut() {
    for (const c of this.conns) {
      c.client.resetAndDestroy();
      c.upstream?.destroy();
    }
    this.conns.clear();
  }

  close() {
    this.cut();
    this.server.close();
  }

  #accept(client) {
    if (this.down) {
      client.resetAndDestroy();
      return;
    }
    const c = { client, upstream: null, buf: Buffer.alloc(0), body: 0, piping: false };
    this.conns.add(c);
    const end = () => {
      this.conns.delete(c);
      client.destroy();
      c.upstream?.destroy();
    };
    client.on('error', end);
    client.on('close', end);
    client.on('data', (chunk) => {
      if (c.piping) {
        c.upstream.write(chunk);
        return;
      }
      c.buf = Buffer.concat([c.buf, chunk]);
      this.#pump(c, end);
    });
  }

  // Server → client bytes; on a WebSocket, frame by frame (RFC 6455 §5.2: unmasked from the
  // server) so that `eat` can drop whole text frames.
  #down(c, d) {
    if (!c.ws) {
      c.client.write(d);
      return;
    }
    c.ws.buf = Buffer.concat([c.ws.buf, d]);
    if (!c.ws.head) {
      const i = c.ws.buf.indexOf('\r\n\r\n');
      if (i < 0) return;
      c.client.write(c.ws.buf.subarray(0, i + 4));
      c.ws.buf = c.ws.buf.subarray(i + 4);
      c.ws.head = true;
    }
    for (;;) {
      const b = c.ws.buf;
      if (b.length < 2) return;
      let len = b[1] & 0x7f;
      let off = 2;
      if (len === 126) {
        if (b.length < 4) return;
        len = b.readUInt16BE(2);
        off = 4;
      } else if (len === 127) {
        if (b.length < 10) return;
        len = Number(b.readBigUInt64BE(2));
        off = 10;
      }
      if (b.length < off + len) return;
      const frame = b.subarray(0, off + len);
      c.ws.buf = b.subarray(off + len);
      if ((b[0] & 0x0f) === 1 && this.eat && this.eat(frame.subarray(off).toString('utf8'))) {
        this.eaten += 1;
        continue;
      }
      c.client.write(frame);
    }
  }

  #pump(c, end) {
    while (c.buf.length > 0) {
      if (c.body > 0) {
        const n = Math.min(c.body, c.buf.length);
        c.upstream.write(c.buf.subarray(0, n));
        c.buf = c.buf.subarray(n);
        c.body -= n;
        continue;
      }
      const i = c.buf.indexOf('\r\n\r\n');
      if (i < 0) {
        if (c.buf.length > 65536) end();
        return;
      }
      const head = c.buf.subarray(0, i + 4);
      c.buf = c.buf.subarray(i + 4);
      const text = head.toString('latin1');
      const target = text.slice(0, text.indexOf('\r\n')).split(' ')[1] ?? '';
      const p = target.split('?')[0];
      const upgrade = /^upgrade:[ \t]*websocket/im.test(text);
      const kind = upgrade && p === '/ws' ? 'ws' : p === '/sse' ? 'sse' : p === '/poll' ? 'poll'
        : p === '/send' ? 'send' : 'other';
      if (this.refuse.has(kind)) {
        this.counts.refused += 1;
        c.client.end('HTTP/1.1 403 Forbidden\r\nContent-Type: text/plain\r\nContent-Length: 10\r\n' +
          'Connection: close\r\n\r\nforbidden\n');
        c.buf = Buffer.alloc(0);
        return;
      }
      this.counts[kind] += 1;
      if (!c.upstream) {
        c.upstream = net.connect(Number(this.target.port), this.target.hostname);
        c.upstream.on('data', (d) => this.#down(c, d));
        c.upstream.on('error', end);
        c.upstream.on('close', end);
      }
      if (upgrade) {
        // Frames from the server are parsed (to drop some); keep them uncompressed.
        c.ws = { buf: Buffer.alloc(0), head: false };
        c.upstream.write(Buffer.from(text.replace(/^sec-websocket-extensions:.*\r\n/gim, ''), 'latin1'));
      } else {
        c.upstream.write(head);
      }
      const cl = /^content-length:[ \t]*(\d+)/im.exec(text);
      c.body = cl ? Number(cl[1]) : 0;
      if (upgrade) {
        c.piping = true;
        if (c.buf.length) c.upstream.write(c.buf);
        c.buf = Buffer.alloc(0);
        return;
      }
    }
  }
}

// ---- page helpers -------------------------------------------------------------------------------
let failures = 0;
const pageErrors = [];

async function check(name, fn) {
  if (only && !name.startsWith(only)) return;
  const t0 = Date.now();
  try {
    await fn();
    console.log(`ok - ${name} (${Date.now() - t0} ms)`);
  } catch (e) {
    failures += 1;
    console.log(`not ok - ${name}: ${e.stack ?? e}`);
  }
}

function assert(cond, msg) {
  if (!cond) throw new Error(msg);
}

function same(actual, expected, msg) {
  const a = JSON.stringify(actual);
  const b = JSON.stringify(expected);
  if (a !== b) throw new Error(`${msg}\n  expected ${b}\n  actual   ${a}`);
}

async function waitFor(page, fn, arg, what) {
  try {
    await page.waitForFunction(fn, arg, { timeout: WAIT_MS, polling: 50 });
  } catch (e) {
    const conn = await page.evaluate(() => {
      const c = window.rtwireChat?.conn;
      const el = document.getElementById('conn');
      return `${el?.dataset.state} ${el?.title} (transport ${c?.transport}, cursor ${c?.cursor}, ` +
        `outbox ${c?.outbox.length})`;
    }).catch(() => 'unknown');
    throw new Error(`timed out waiting for ${what}: ${e.message.split('\n')[0]}; page connection: ${conn}`);
  }
}

// Opens a page in its own browser context and joins `room` as `name`.
async function join(base, { room, name, transport = null, viewport = { width: 1000, height: 640 } }) {
  const context = await browser.newContext({ viewport });
  const page = await context.newPage();
  page.on('pageerror', (e) => pageErrors.push(`${name}: ${e.message}`));
  await page.goto(`${base}/${transport ? `?transport=${transport}` : ''}`);
  await page.getByTestId('name').fill(name);
  await page.getByTestId('room').fill(room);
  await page.getByTestId('join').click();
  await waitFor(page, () => document.querySelector('[data-testid=transport]').textContent !== '' &&
    document.body.dataset.clientId, null, `${name} to connect`);
  const clientId = await page.evaluate(() => document.body.dataset.clientId);
  return { page, context, name, clientId, base };
}

const transportOf = (p) => p.page.getByTestId('transport').textContent();

// The chat messages of a page, in order: [via, from, text].
function messages(p) {
  return p.page.$$eval('[data-testid=messages] [data-testid=message]', (els) =>
    els.map((e) => [e.dataset.via, e.dataset.from, e.querySelector('.text').textContent]));
}

function notices(p) {
  return p.page.$$eval('[data-testid=messages] [data-testid=notice]', (els) => els.map((e) => e.textContent));
}

async function waitMessages(p, n, what = `${n} messages`) {
  await waitFor(p.page, (k) => document.querySelectorAll('[data-testid=messages] [data-testid=message]').length >= k,
    n, `${p.name}: ${what}`);
}

async function waitMembers(p, n) {
  await waitFor(p.page, (k) => document.querySelectorAll('[data-testid=members] [data-testid=member]').length === k,
    n, `${p.name}: ${n} members`);
}

async function say(p, text) {
  await p.page.getByTestId('text').fill(text);
  await p.page.getByTestId('send').click();
}

async function stats(base) {
  const res = await fetch(`${base}/stats`);
  assert(res.ok, `/stats answered ${res.status}`);
  return res.json();
}

async function closeAll(pages) {
  for (const p of pages) await p.context.close();
}

// ---- the checks ---------------------------------------------------------------------------------
async function forcedTransport(base, transport) {
  const room = `forced-${transport}`;
  const a = await join(base, { room, name: 'Alice', transport });
  const b = await join(base, { room, name: 'Bob', transport });
  const c = await join(base, { room, name: 'Carol', transport });
  const pages = [a, b, c];
  try {
    for (const p of pages) same(await transportOf(p), transport, `${p.name}'s transport`);
    for (const p of pages) await waitMembers(p, 3);
    same(await a.page.$$eval('[data-testid=member] .member-name', (els) => els.map((e) => e.textContent).sort()),
      ['Alice', 'Bob', 'Carol'], 'member names');

    await say(a, `hello from Alice over ${transport}`);
    await waitMessages(b, 1);
    await say(b, 'hi Alice, Bob here');
    await waitMessages(a, 2);
    await say(c, 'Carol too');
    const expected = [
      ['server', a.clientId, `hello from Alice over ${transport}`],
      ['server', b.clientId, 'hi Alice, Bob here'],
      ['server', c.clientId, 'Carol too'],
    ];
    for (const p of pages) {
      await waitMessages(p, 3);
      same(await messages(p), expected, `${p.name}'s messages`);
    }

    // Private: Alice clicks Bob in the member list; Carol must not see it.
    await a.page.locator(`[data-testid=member][data-client-id="${b.clientId}"]`).click();
    await say(a, 'just for Bob');
    const priv = ['server', a.clientId, 'just for Bob'];
    await waitMessages(b, 4);
    await waitMessages(a, 4, 'the private echo');
    same((await messages(b))[3], priv, 'Bob got the private message');
    same((await messages(a))[3], priv, 'Alice got the private echo');
    assert(await b.page.locator('[data-testid=message].private').count() === 1, 'the private message is marked');
    await say(c, 'after the private one');
    await waitMessages(c, 4);
    same((await messages(c)).map((m) => m[2]), [...expected.map((m) => m[2]), 'after the private one'],
      'Carol did not get the private message');

    const s = await stats(base);
    const key = { websocket: 'websocket', sse: 'sse', 'long-poll': 'long_poll' }[transport];
    assert(s.connections[key] >= 3, `/stats counts ${s.connections[key]} ${key} connections`);
    same([s.rooms[room]?.members, s.rooms[room]?.messages], [3, 4], `/stats rooms.${room} {members, messages}`);
  } finally {
    await closeAll(pages);
  }
}

async function fallback(base) {
  const noWs = await new Proxy(new URL(base), ['ws']).listen();
  const noWsSse = await new Proxy(new URL(base), ['ws', 'sse']).listen();
  const room = 'fallback';
  const a = await join(noWs.base, { room, name: 'Sse Sam' });
  const b = await join(noWsSse.base, { room, name: 'Poll Pat' });
  const c = await join(base, { room, name: 'Ws Wendy' });
  const pages = [a, b, c];
  try {
    same(await transportOf(a), 'sse', 'the page behind a proxy refusing /ws');
    same(await transportOf(b), 'long-poll', 'the page behind a proxy refusing /ws and /sse');
    same(await transportOf(c), 'websocket', 'the page with nothing refused');
    assert(noWs.counts.refused >= 1 && noWsSse.counts.refused >= 2, 'the proxies refused the upgrades');
    for (const p of pages) await waitMembers(p, 3);
    await say(a, 'over SSE');
    await waitMessages(c, 1);
    await say(b, 'over long polling');
    await waitMessages(c, 2);
    await say(c, 'over WebSocket');
    const expected = [
      ['server', a.clientId, 'over SSE'],
      ['server', b.clientId, 'over long polling'],
      ['server', c.clientId, 'over WebSocket'],
    ];
    for (const p of pages) {
      await waitMessages(p, 3);
      same(await messages(p), expected, `${p.name}'s messages`);
    }
  } finally {
    await closeAll(pages);
  }
}

// Cuts `a`'s connections through `proxy`, keeps it away for a while during which `b` and `a`
// both send, then lets it back and checks the exact sequence on both pages.
// Without `refuse` the proxy is down (every connection reset) until the page is let back. With
// `refuse` it stays up and answers those kinds of request with 403: the page's retries of the
// dropped transport fail and the next transport in the fallback order connects at once. (A full
// outage would walk the page through the whole order at a pace set by the machine's speed: a
// transport never established is abandoned on its first failure.)
async function dropAndResume(proxy, a, b, tag, refuse = null) {
  const before = (await messages(b)).length;
  proxy.down = !refuse;
  if (refuse) refuse.forEach((k) => proxy.refuse.add(k));
  proxy.cut();
  await waitFor(a.page, () => document.getElementById('conn').dataset.state !== 'online', null,
    `${a.name} to notice the drop`);
  const sent = [];
  for (let i = 1; i <= 4; i += 1) {
    const text = `${tag}: missed ${i}`;
    await say(b, text);
    sent.push(['server', b.clientId, text]);
  }
  await waitMessages(b, before + 4);
  await say(a, `${tag}: queued while away`);
  await sleep(600); // a few refused reconnects (backoff)
  proxy.down = false;
  sent.push(['server', a.clientId, `${tag}: queued while away`]);
  await waitMessages(a, before + 5, 'the messages sent while away');
  await waitMessages(b, before + 5, 'the queued message');
  await sleep(300); // a duplicate, if any, would arrive now
  const seenA = await messages(a);
  const seenB = await messages(b);
  same(seenA, seenB, `${tag}: both pages show the same messages`);
  same(seenA.slice(before), sent, `${tag}: no gap, no duplicate`);
  same(await a.page.evaluate(() => document.body.dataset.clientId), a.clientId, `${tag}: same clientId`);
}

async function drops(base, transport) {
  const proxy = await new Proxy(new URL(base)).listen();
  const room = `drop-${transport}`;
  const a = await join(proxy.base, { room, name: 'Dropped Dora', transport });
  const b = await join(base, { room, name: 'Steady Stan', transport: 'websocket' });
  try {
    same(await transportOf(a), transport, 'transport');
    await waitMembers(b, 2);
    await say(a, 'before the drop');
    await waitMessages(b, 1);
    await dropAndResume(proxy, a, b, `${transport} drop 1`);
    await dropAndResume(proxy, a, b, `${transport} drop 2`);
    same(await transportOf(a), transport, 'still on the forced transport');
    const n = (await notices(b)).filter((t) => /Dora (joined|left)/.test(t));
    same(n, [], 'no user-left/user-joined for a resumed member');
    await waitMembers(b, 2);
  } finally {
    await closeAll([a, b]);
    proxy.close();
  }
}

async function crossTransport(base) {
  const proxy = await new Proxy(new URL(base)).listen();
  const room = 'cross';
  const a = await join(proxy.base, { room, name: 'Roaming Rita' });
  const b = await join(base, { room, name: 'Steady Stan' });
  try {
    same(await transportOf(a), 'websocket', 'starts on websocket');
    await waitMembers(b, 2);
    await say(a, 'on websocket');
    await waitMessages(b, 1);
    await dropAndResume(proxy, a, b, 'websocket → sse', ['ws']);
    same(await transportOf(a), 'sse', 'moved to sse');
    await dropAndResume(proxy, a, b, 'sse → long-poll', ['sse']);
    same(await transportOf(a), 'long-poll', 'moved to long-poll');
    same((await notices(b)).filter((t) => /Rita (joined|left)/.test(t)), [], 'no user-left/user-joined');
  } finally {
    await closeAll([a, b]);
    proxy.close();
  }
}

// The server keeps only HISTORY events per room: a page away for longer gets `reset`, shows it,
// and carries on with the live events, showing nothing twice.
const HISTORY = 4;
async function reset(base, transport) {
  const proxy = await new Proxy(new URL(base)).listen();
  const room = `reset-${transport}`;
  const a = await join(proxy.base, { room, name: 'Late Lou', transport });
  const b = await join(base, { room, name: 'Chatty Chen', transport: 'websocket' });
  try {
    await waitMembers(b, 2);
    await say(b, 'before');
    await waitMessages(a, 1);
    proxy.down = true;
    proxy.cut();
    await waitFor(a.page, () => document.getElementById('conn').dataset.state !== 'online', null,
      `${a.name} to notice the drop`);
    for (let i = 1; i <= HISTORY + 4; i += 1) await say(b, `while away ${i}`);
    await waitMessages(b, HISTORY + 5);
    proxy.down = false;
    await waitFor(a.page, () => [...document.querySelectorAll('[data-testid=notice]')]
      .some((e) => e.classList.contains('warn')), null, `${a.name}: the reset notice`);
    await waitFor(a.page, () => document.getElementById('conn').dataset.state === 'online', null,
      `${a.name} back online`);
    await say(b, 'after the reset');
    await waitFor(a.page, () => [...document.querySelectorAll('[data-testid=message] .text')]
      .some((e) => e.textContent === 'after the reset'), null, `${a.name}: a live message after the reset`);
    await sleep(300);
    const seenA = (await messages(a)).map((m) => m[2]);
    const seenB = (await messages(b)).map((m) => m[2]);
    same(new Set(seenA).size, seenA.length, 'nothing shown twice');
    // What the page shows is the other's sequence with one gap (events the log no longer held).
    const at = seenB.indexOf(seenA[1]);
    assert(seenA[0] === 'before' && seenA.length < seenB.length, `a gap is expected: ${JSON.stringify(seenA)}`);
    same(seenA.slice(1), seenB.slice(at), 'after the gap, every event in order');
    same(await a.page.evaluate(() => document.body.dataset.clientId), a.clientId, 'same clientId');
  } finally {
    await closeAll([a, b]);
    proxy.close();
  }
}

// Away longer than --grace-ms: the server forgot the session; the page comes back as a new
// member (new clientId, user-left then user-joined for the others) and keeps chatting.
const SHORT_GRACE_MS = 400;
async function expired(base, transport) {
  const proxy = await new Proxy(new URL(base)).listen();
  const room = `expired-${transport}`;
  const a = await join(proxy.base, { room, name: 'Gone Gus', transport });
  const b = await join(base, { room, name: 'Patient Pia', transport: 'websocket' });
  try {
    await waitMembers(b, 2);
    proxy.down = true;
    proxy.cut();
    await waitFor(b.page, () => document.querySelectorAll('[data-testid=member]').length === 1, null,
      `${b.name}: the user-left after the grace period`);
    proxy.down = false;
    await waitFor(a.page, () => document.getElementById('conn').dataset.state === 'online' &&
      document.querySelectorAll('[data-testid=member]').length === 2, null, `${a.name} back as a new member`);
    const id = await a.page.evaluate(() => document.body.dataset.clientId);
    assert(id && id !== a.clientId, 'a new clientId');
    await waitMembers(b, 2);
    await say(a, 'back again');
    await waitMessages(b, 1);
    same(await messages(b), [['server', id, 'back again']], 'the new member chats');
    same(await transportOf(a), transport, 'same transport');
  } finally {
    await closeAll([a, b]);
    proxy.close();
  }
}

async function xss(base) {
  const payloads = [
    '<img src=x onerror="window.__xss=1">',
    '<script>window.__xss=1</script>',
    '"><svg onload="window.__xss=1"></svg>',
    '<a href="javascript:window.__xss=1">click</a> &amp; &lt;b&gt;',
  ];
  const evil = '<img src=x onerror=__xss=1>';
  const a = await join(base, { room: 'xss', name: evil });
  const b = await join(base, { room: 'xss', name: 'Careful Cara' });
  try {
    await waitMembers(b, 2);
    for (const t of payloads) await say(a, t);
    await waitMessages(b, payloads.length);
    same((await messages(b)).map((m) => m[2]), payloads, 'payloads shown verbatim');
    same(await b.page.$$eval('[data-testid=member] .member-name', (els) => els.map((e) => e.textContent).sort()),
      [evil, 'Careful Cara'].sort(), 'the name shown verbatim');
    for (const p of [a, b]) {
      const injected = await p.page.evaluate(() => ({
        flag: window.__xss ?? null,
        elements: document.querySelectorAll('main img, main script, main svg, main a').length,
      }));
      same(injected, { flag: null, elements: 0 }, `${p.name}: nothing injected`);
    }
  } finally {
    await closeAll([a, b]);
  }
}

async function waitPeers(p, n) {
  await waitFor(p.page, (k) => {
    const ps = [...document.querySelectorAll('[data-testid=peers] [data-testid=peer]')];
    return ps.length === k && ps.every((e) => e.dataset.state === 'connected' && e.dataset.channel === 'open');
  }, n, `${p.name}: ${n} connected peers`);
}

async function p2p(base) {
  const room = 'lobby';
  const viewport = { width: 880, height: 600 };
  const a = await join(base, { room, name: 'Ada', transport: 'websocket', viewport });
  const b = await join(base, { room, name: 'Grace', transport: 'websocket', viewport });
  const c = await join(base, { room, name: 'Linus', transport: 'websocket', viewport });
  const pages = [a, b, c];
  try {
    for (const p of pages) await waitPeers(p, 2);
    const restarts = await Promise.all(pages.map((p) => p.page.evaluate(() =>
      [...window.rtwireChat.mesh.peers.values()].reduce((n, peer) => n + peer.restarts, 0))));
    console.log(`# mesh connected; watchdog ICE restarts per page: ${restarts.join(', ')}`);
    const states = await a.page.$$eval('[data-testid=peer]', (els) => els.map((e) => e.dataset.state));
    same(states, ['connected', 'connected'], 'RTCPeerConnection.connectionState on Ada\'s page');

    await say(a, 'Hi Grace! This goes through the server, over a WebSocket.');
    await waitMessages(b, 1);
    await say(b, 'Hello Ada, it reaches everyone in #lobby.');
    await waitMessages(a, 2);
    await b.page.locator(`[data-testid=member][data-client-id="${a.clientId}"]`).click();
    await say(b, 'And this one is private, just for you.');
    await waitMessages(a, 3);
    const before = (await stats(base)).rooms[room].messages;

    await a.page.getByTestId('p2p-text').fill('This one skips the server: WebRTC data channel.');
    await a.page.getByTestId('p2p-send').click();
    await b.page.getByTestId('p2p-text').fill('Peer to peer, received!');
    await waitMessages(b, 4);
    await b.page.getByTestId('p2p-send').click();
    for (const p of pages) await waitMessages(p, p === c ? 4 : 5);
    const p2pOf = async (p) => (await messages(p)).filter((m) => m[0] === 'p2p');
    const expected = [
      ['p2p', a.clientId, 'This one skips the server: WebRTC data channel.'],
      ['p2p', b.clientId, 'Peer to peer, received!'],
    ];
    for (const p of pages) same(await p2pOf(p), expected, `${p.name}'s P2P messages`);
    same((await stats(base)).rooms[room].messages, before, 'no P2P message went through the server');

    if (screenshotPath) await screenshot([a, b]);

    // Glare: Ada and Grace restart ICE with each other at the same moment, so both offer at once.
    // Perfect negotiation resolves it (Grace or Ada rolls back, by clientId) and the channel
    // keeps working.
    const restart = (p, other) => p.page.evaluate((id) => {
      window.rtwireChat.mesh.peers.get(id).pc.restartIce();
    }, other.clientId);
    await Promise.all([restart(a, b), restart(b, a)]);
    await sleep(1500);
    const collisions = async (p, other) => p.page.evaluate((id) => window.rtwireChat.mesh.peers.get(id).collisions,
      other.clientId);
    console.log(`# glare: offer collisions seen by Ada ${await collisions(a, b)}, by Grace ${await collisions(b, a)}`);
    for (const p of pages) await waitPeers(p, 2);
    await a.page.getByTestId('p2p-text').fill('still connected after simultaneous offers');
    await a.page.getByTestId('p2p-send').click();
    await waitFor(b.page, () => [...document.querySelectorAll('[data-testid=message][data-via=p2p] .text')]
      .some((e) => e.textContent === 'still connected after simultaneous offers'), null,
      'Grace: a P2P message after the glare');

    // Linus leaves: the others close their connection to him.
    await c.context.close();
    pages.pop();
    for (const p of [a, b]) await waitPeers(p, 1);
    for (const p of [a, b]) await waitMembers(p, 2);
  } finally {
    await closeAll(pages);
  }
}

// A pair whose ICE candidates are all lost stays `new`; the impolite side's watchdog restarts
// ICE and the pair connects once candidates get through again.
async function iceRestart(base) {
  const proxy = await new Proxy(new URL(base)).listen();
  proxy.eat = (text) => {
    try {
      const m = JSON.parse(text);
      return m.type === 'signal' && Boolean(m.data?.candidate?.candidate);
    } catch {
      return false;
    }
  };
  const room = 'stuck';
  const a = await join(proxy.base, { room, name: 'Ana', transport: 'websocket' });
  const b = await join(proxy.base, { room, name: 'Ben', transport: 'websocket' });
  try {
    await waitFor(a.page, () => document.querySelectorAll('[data-testid=peer]').length === 1, null, 'Ana: a peer');
    await sleep(2000);
    assert(proxy.eaten > 0, 'candidates were dropped');
    for (const p of [a, b]) {
      same(await p.page.$$eval('[data-testid=peer]', (els) => els.map((e) => e.dataset.state)), ['new'],
        `${p.name}: no candidates, the connection stays new`);
    }
    proxy.eat = null;
    for (const p of [a, b]) await waitPeers(p, 1);
    const restarts = await Promise.all([a, b].map((p) => p.page.evaluate(() =>
      [...window.rtwireChat.mesh.peers.values()].reduce((n, peer) => n + peer.restarts, 0))));
    assert(restarts[0] + restarts[1] >= 1, `an ICE restart brought the pair up (restarts ${restarts})`);
    const impolite = a.clientId > b.clientId ? 0 : 1;
    assert(restarts[1 - impolite] === 0, 'only the impolite side restarts');
  } finally {
    await closeAll([a, b]);
    proxy.close();
  }
}

// Two chatting pages side by side, as one small PNG for the README.
async function screenshot(pages) {
  await sleep(300);
  const shots = [];
  for (const p of pages) shots.push((await p.page.screenshot({ type: 'png' })).toString('base64'));
  const ctx = await browser.newContext({ viewport: { width: 1796, height: 632 } });
  const page = await ctx.newPage();
  await page.setContent(`<!doctype html><html><body style="margin:0;background:#c7cbe0;display:flex;gap:12px;
    padding:16px;box-sizing:border-box;height:100vh">${shots.map((s) =>
    `<img style="border-radius:8px;box-shadow:0 4px 18px rgba(20,24,48,.25)" src="data:image/png;base64,${s}">`)
    .join('')}</body></html>`);
  await page.screenshot({ path: screenshotPath, type: 'png' });
  await ctx.close();
  console.log(`# screenshot: ${screenshotPath} (${fs.statSync(screenshotPath).size} bytes)`);
}

// ---- main ---------------------------------------------------------------------------------------
try {
  const base = await startServer();
  browser = await chromium.launch({
    executablePath: chromiumBin,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking',
      '--disable-features=WebRtcHideLocalIpsWithMdns'],
  });
  console.log(`# chromium ${browser.version()}, chat_server at ${base}`);
  for (const t of ['websocket', 'sse', 'long-poll']) await check(`forced ${t}`, () => forcedTransport(base, t));
  await check('fallback', () => fallback(base));
  for (const t of ['websocket', 'sse', 'long-poll']) await check(`drop ${t}`, () => drops(base, t));
  await check('cross-transport resume', () => crossTransport(base));
  const small = await startServer(['--history', String(HISTORY)]);
  for (const t of ['websocket', 'sse', 'long-poll']) await check(`reset ${t}`, () => reset(small, t));
  const forgetful = await startServer(['--grace-ms', String(SHORT_GRACE_MS)]);
  for (const t of ['websocket', 'sse', 'long-poll']) await check(`expired ${t}`, () => expired(forgetful, t));
  await check('xss', () => xss(base));
  await check('p2p', () => p2p(base));
  await check('p2p ice restart', () => iceRestart(base));
  if (pageErrors.length) {
    failures += 1;
    console.log(`not ok - uncaught page errors:\n  ${pageErrors.join('\n  ')}`);
  }
} catch (e) {
  failures += 1;
  console.log(`not ok - setup: ${e.stack ?? e}`);
}
if (failures) dumpServerLog();
await cleanup();
clearTimeout(globalTimer);
fs.rmSync(tmp, { recursive: true, force: true });
console.log(failures ? `# ${failures} check(s) failed` : '# all browser checks passed');
process.exit(failures ? 1 : 0);
