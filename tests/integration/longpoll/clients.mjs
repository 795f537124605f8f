// Long-poll integration test: many concurrent HTTP clients (node's plain `http`) long-poll
// examples/longpoll_server while a publisher posts numbered messages and connections are dropped
// at random (requests aborted mid-poll, some with a session retrying over a parked poll). Every
// client must end with every message exactly once, in order, with matching cursors. A second
// group polls two topics at once (`/poll?topics=A,B&cursors=..`), each published to
// concurrently, and must end with every message of both, each topic in order.
//
//   node clients.mjs PORT [--clients N] [--multi K] [--messages M] [--seed S]
//
// Exits non-zero (and says why) on any loss, duplicate, reorder, unexpected reset or timeout.
import http from 'node:http';

const args = process.argv.slice(2);
const port = Number(args[0]);
const opt = (name, def) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : def;
};
const clientCount = opt('clients', 200);
const multiCount = opt('multi', 40);
const messageCount = opt('messages', 300);
let seed = opt('seed', 12345) >>> 0;
// A small deterministic PRNG (mulberry32) so a failing run can be repeated with --seed.
function random() {
  seed = (seed + 0x6d2b79f5) >>> 0;
  let t = seed;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}

const agent = new http.Agent({ keepAlive: false, maxSockets: Infinity });
const topic = `it-${Date.now()}`;
const topic2 = `${topic}-b`;

function request(method, path, body, { timeoutMs = 20000, abortAfterMs } = {}) {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: '127.0.0.1', port, method, path, agent, headers: body ? { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(body) } : {} },
      (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.on('error', (e) => resolve({ status: 0, error: e }));
    req.setTimeout(timeoutMs, () => req.destroy(new Error('request timed out')));
    if (abortAfterMs !== undefined) setTimeout(() => req.destroy(new Error('dropped')), abortAfterMs);
    if (body) req.write(body);
    req.end();
  });
}

const failures = [];
function fail(msg) {
  if (failures.length < 20) console.error(`FAIL: ${msg}`);
  failures.push(msg);
}

let published = 0;
const cursors = []; // cursor of message i (from the publish answers)
const cursors2 = []; // the same for topic2

async function client(id) {
  const got = [];
  const session = id % 2 === 0 ? `s${id}` : undefined;
  // Start at the oldest retained message: the retention in run.sh keeps every message.
  let cursor;
  let polls = 0;
  const deadline = Date.now() + 60000;
  while (got.length < messageCount) {
    if (Date.now() > deadline) {
      fail(`client ${id}: timed out with ${got.length}/${messageCount} messages`);
      return;
    }
    let path = `/poll?topic=${topic}&timeout=${200 + Math.floor(random() * 800)}`;
    path += cursor ? `&cursor=${cursor}` : '&from=oldest';
    if (session) path += `&session=${session}`;
    const drop = random() < 0.15;
    ++polls;
    // A dropped poll: the client gives up on the connection (and, for a session client, retries
    // at once, overlapping the parked poll until the server notices the drop).
    const res = await request('GET', path, null, drop ? { abortAfterMs: Math.floor(random() * 50) } : {});
    if (res.status === 0) continue; // dropped or refused: retry with the same cursor
    if (res.status !== 200) {
      fail(`client ${id}: poll answered ${res.status} ${res.body}`);
      return;
    }
    const body = JSON.parse(res.body);
    for (const m of body.messages) {
      const n = Number(m.data.split(' ')[1]);
      if (n !== got.length) {
        fail(`client ${id}: expected message ${got.length}, got ${n} (${m.data})`);
        return;
      }
      got.push(n);
      if (cursors[n] !== undefined && cursors[n] !== m.cursor) fail(`client ${id}: message ${n} has cursor ${m.cursor}, published as ${cursors[n]}`);
    }
    if (body.messages.length > 0 && body.cursor !== body.messages[body.messages.length - 1].cursor)
      fail(`client ${id}: next cursor ${body.cursor} is not the last message's`);
    if (body.messages.length === 0 && cursor && body.cursor !== cursor)
      fail(`client ${id}: an empty answer moved the cursor from ${cursor} to ${body.cursor}`);
    cursor = body.cursor;
  }
  return polls;
}

// Polls topic and topic2 in one request each time; both streams must arrive whole and in order.
async function multiClient(id) {
  const want = [topic, topic2];
  const state = want.map((t, k) => ({ topic: t, got: 0, cursor: undefined, published: k === 0 ? cursors : cursors2 }));
  const session = id % 2 === 0 ? `m${id}` : undefined;
  let polls = 0;
  const deadline = Date.now() + 60000;
  while (state.some((s) => s.got < messageCount)) {
    if (Date.now() > deadline) {
      fail(`multi client ${id}: timed out with ${state.map((s) => s.got).join('+')} messages`);
      return;
    }
    let path = `/poll?topics=${want.join(',')}&timeout=${200 + Math.floor(random() * 800)}&from=oldest`;
    if (state.some((s) => s.cursor)) path += `&cursors=${state.map((s) => s.cursor ?? '').join(',')}`;
    if (session) path += `&session=${session}`;
    const drop = random() < 0.15;
    ++polls;
    const res = await request('GET', path, null, drop ? { abortAfterMs: Math.floor(random() * 50) } : {});
    if (res.status === 0) continue;
    if (res.status !== 200) {
      fail(`multi client ${id}: poll answered ${res.status} ${res.body}`);
      return;
    }
    const body = JSON.parse(res.body);
    if (!Array.isArray(body.topics) || body.topics.length !== 2) {
      fail(`multi client ${id}: answer without both topics: ${res.body}`);
      return;
    }
    for (let k = 0; k < 2; ++k) {
      const e = body.topics[k];
      const s = state[k];
      if (e.topic !== s.topic) fail(`multi client ${id}: entry ${k} is topic ${e.topic}, not ${s.topic}`);
      for (const m of e.messages) {
        const n = Number(m.data.split(' ')[1]);
        if (n !== s.got) {
          fail(`multi client ${id}: ${s.topic}: expected message ${s.got}, got ${n}`);
          return;
        }
        ++s.got;
        if (s.published[n] !== undefined && s.published[n] !== m.cursor) fail(`multi client ${id}: message ${n} has cursor ${m.cursor}, published as ${s.published[n]}`);
      }
      if (e.messages.length === 0 && s.cursor && e.cursor !== s.cursor)
        fail(`multi client ${id}: an empty entry moved ${s.topic}'s cursor from ${s.cursor} to ${e.cursor}`);
      s.cursor = e.cursor;
    }
  }
  return polls;
}

async function publisher(t = topic, out = cursors) {
  for (let i = 0; i < messageCount; ++i) {
    const res = await request('POST', `/publish?topic=${t}`, `message ${i} ✓`);
    if (res.status !== 200) {
      fail(`publish ${i} answered ${res.status} ${res.body ?? res.error}`);
      return;
    }
    out[i] = JSON.parse(res.body).cursor;
    ++published;
    if (random() < 0.3) await new Promise((r) => setTimeout(r, Math.floor(random() * 10)));
  }
}

async function contract() {
  // The documented answers outside the happy path.
  const t = `contract-${Date.now()}`;
  const expect = (what, res, status) => {
    if (res.status !== status) fail(`${what}: expected ${status}, got ${res.status} ${res.body}`);
  };
  expect('malformed cursor', await request('GET', `/poll?topic=${t}&cursor=0x-1`), 400);
  const pub = await request('POST', `/publish?topic=${t}`, 'x');
  expect('publish', pub, 200);
  const c = JSON.parse(pub.body).cursor;
  const [epoch] = c.split('-');
  const future = await request('GET', `/poll?topic=${t}&cursor=${epoch}-99`);
  expect('future cursor', future, 409);
  if (future.status === 409) {
    const b = JSON.parse(future.body);
    if (b.reset !== true || b.cursor !== c) fail(`reset body ${future.body}`);
  }
  expect('other epoch', await request('GET', `/poll?topic=${t}&cursor=${epoch}0-1`), 409);
  expect('oversize', await request('POST', `/publish?topic=${t}`, 'y'.repeat(70000)), 413);
  const timeout = await request('GET', `/poll?topic=${t}&cursor=${c}&timeout=50`);
  expect('timeout', timeout, 200);
  if (timeout.status === 200) {
    const b = JSON.parse(timeout.body);
    if (b.cursor !== c || b.messages.length !== 0) fail(`timeout body ${timeout.body}`);
  }
  const fresh = request('GET', `/poll?topic=${t}&timeout=2000`);
  await new Promise((r) => setTimeout(r, 100));
  await request('POST', `/publish?topic=${t}`, 'z');
  const freshRes = await fresh;
  expect('newest', freshRes, 200);
  if (freshRes.status === 200 && JSON.parse(freshRes.body).messages[0]?.data !== 'z') fail(`newest body ${freshRes.body}`);

  // Multi-topic polls.
  const u = `${t}-u`;
  expect('duplicate topic', await request('GET', `/poll?topics=${t},${t}`), 400);
  expect('cursors not one to one', await request('GET', `/poll?topics=${t},${u}&cursors=${c}`), 400);
  expect('too many topics', await request('GET', `/poll?topics=${Array.from({ length: 17 }, (_, i) => `${u}${i}`).join(',')}`), 400);
  const multiReset = await request('GET', `/poll?topics=${u},${t}&cursors=,${epoch}-99`);
  expect('multi reset', multiReset, 409);
  if (multiReset.status === 409) {
    const b = JSON.parse(multiReset.body);
    if (b.reset !== true || b.topic !== t || !b.cursor) fail(`multi reset body ${multiReset.body}`);
  }
  const multiReady = await request('GET', `/poll?topics=${u},${t}&from=oldest`);
  expect('multi ready', multiReady, 200);
  if (multiReady.status === 200) {
    const b = JSON.parse(multiReady.body);
    if (b.topics?.[0]?.topic !== u || b.topics[0].messages.length !== 0 || b.topics?.[1]?.topic !== t ||
        b.topics[1].messages.map((m) => m.data).join() !== 'x,z')
      fail(`multi ready body ${multiReady.body}`);
  }
  const multiWait = request('GET', `/poll?topics=${t},${u}&timeout=2000`);
  await new Promise((r) => setTimeout(r, 100));
  await request('POST', `/publish?topic=${u}`, 'w');
  const waited = await multiWait;
  expect('multi parked', waited, 200);
  if (waited.status === 200) {
    const b = JSON.parse(waited.body);
    if (b.topics?.[0]?.messages.length !== 0 || b.topics?.[1]?.messages[0]?.data !== 'w')
      fail(`multi parked body ${waited.body}`);
  }
}

const started = Date.now();
await contract();
const runs = [];
for (let i = 0; i < clientCount; ++i) runs.push(client(i));
for (let i = 0; i < multiCount; ++i) runs.push(multiClient(i));
await new Promise((r) => setTimeout(r, 200)); // let clients park first
runs.push(publisher());
runs.push(publisher(topic2, cursors2));
const results = await Promise.all(runs);
const polls = results.slice(0, clientCount + multiCount).reduce((a, b) => a + (b ?? 0), 0);
if (failures.length) {
  console.error(`${failures.length} failure(s)`);
  process.exit(1);
}
console.log(`ok: ${clientCount} clients x ${messageCount} messages and ${multiCount} two-topic clients x 2 x ${messageCount} messages exactly once, in order (${polls} polls, ${Date.now() - started} ms)`);
