// Real-client resume test: the npm `eventsource` client against examples/sse_server.
//
//   node resume.mjs /path/to/sse_server
//
// The server is started on a free port. A client subscribes; messages are published while the
// server drops the client's connection several times (POST /drop), and more messages are
// published while the client is away. The client reconnects by itself with Last-Event-ID; it must
// receive every message exactly once, in order, with consecutive ids. Then a client presenting a
// cursor the server cannot honour (another epoch) must get one explicit `rtwire-reset` event.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { EventSource } from 'eventsource';
import { createParser } from 'eventsource-parser';

const server = process.argv[2];
if (!server) {
  console.error('usage: node resume.mjs /path/to/sse_server');
  process.exit(2);
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const fail = (msg) => {
  console.error(`resume: FAIL: ${msg}`);
  process.exitCode = 1;
};

const proc = spawn(server, ['--host', '127.0.0.1', '--port', '0', '--retry', '100', '--heartbeat',
                            '1'], { stdio: ['ignore', 'pipe', 'inherit'] });
const watchdog = setTimeout(() => {
  fail('timed out');
  proc.kill();
  process.exit(1);
}, 30000);

try {
  const [line] = await once(createInterface({ input: proc.stdout }), 'line');
  const port = /:(\d+)$/.exec(line)?.[1];
  if (!port) throw new Error(`unexpected server banner: ${line}`);
  const base = `http://127.0.0.1:${port}`;
  const post = async (path, body = '') => {
    const r = await fetch(base + path, { method: 'POST', body });
    if (r.status !== 200) throw new Error(`${path}: HTTP ${r.status}`);
    return (await r.text()).trim();
  };

  // --- 1. Drop and resume, no loss, no duplicate -------------------------------------------
  const received = [];
  let opens = 0;
  const es = new EventSource(`${base}/events?topic=t`);
  es.addEventListener('open', () => opens++);
  es.addEventListener('message', (e) => received.push({ data: e.data, id: e.lastEventId }));
  es.addEventListener('rtwire-reset', (e) => fail(`unexpected reset: ${e.data}`));
  while (opens < 1) await sleep(10);

  let published = 0;
  const publish = async (n) => {
    for (let i = 0; i < n; i++) await post('/publish?topic=t', `message ${++published}`);
  };
  const waitFor = async (n) => {
    for (let t = 0; received.length < n && t < 1000; t++) await sleep(10);
    if (received.length < n) throw new Error(`received ${received.length} of ${n}`);
  };

  const rounds = 4;
  for (let round = 0; round < rounds; round++) {
    await publish(10);             // live
    await waitFor(published - 3);  // the drop lands while the last events are in flight
    const dropped = await post('/drop?topic=t');
    if (dropped !== '1') fail(`round ${round}: drop closed ${dropped} streams, expected 1`);
    await publish(7);              // while the client is away (or still reading)
    const target = opens + 1;
    for (let t = 0; opens < target && t < 1000; t++) await sleep(10);
    if (opens < target) throw new Error(`round ${round}: the client did not reconnect`);
  }
  await publish(5);
  await waitFor(published);
  await sleep(200);  // anything duplicated would arrive now
  es.close();

  if (received.length !== published)
    fail(`received ${received.length} events for ${published} published`);
  let epoch = null;
  received.forEach((e, i) => {
    if (e.data !== `message ${i + 1}`) fail(`event ${i}: data ${JSON.stringify(e.data)}`);
    const m = /^([0-9a-f]+)-(\d+)$/.exec(e.id);
    if (!m || Number(m[2]) !== i + 1) fail(`event ${i}: id ${e.id}`);
    else if (epoch === null) epoch = m[1];
    else if (m[1] !== epoch) fail(`event ${i}: epoch changed to ${m[1]}`);
  });
  if (opens !== rounds + 1) fail(`${opens} connections, expected ${rounds + 1}`);
  console.log(`resume: ${published} events over ${opens} connections, none lost or duplicated`);

  // --- 2. A cursor from another epoch: one explicit reset event -----------------------------
  const otherEpoch = epoch === '1' ? '2' : '1';
  const controller = new AbortController();
  const r = await fetch(`${base}/events?topic=t`, {
    headers: { 'Last-Event-ID': `${otherEpoch}-3` },
    signal: controller.signal,
  });
  if (r.headers.get('content-type') !== 'text/event-stream') fail('wrong Content-Type');
  const events = [];
  const parser = createParser({ onEvent: (e) => events.push(e) });
  const reader = r.body.pipeThrough(new TextDecoderStream()).getReader();
  while (events.length === 0) {
    const { value, done } = await reader.read();
    if (done) break;
    parser.feed(value);
  }
  controller.abort();
  const reset = events[0];
  if (!reset || reset.event !== 'rtwire-reset' || reset.data !== 'epoch_mismatch' ||
      reset.id !== `${epoch}-${published}`)
    fail(`expected a reset event, got ${JSON.stringify(reset)}`);
  else console.log(`resume: foreign cursor answered with rtwire-reset (${reset.data}) at ${reset.id}`);
} catch (e) {
  fail(e.stack ?? String(e));
} finally {
  clearTimeout(watchdog);
  proc.kill();
}
