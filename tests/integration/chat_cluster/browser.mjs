// Browser check of the chat cluster (issue #16): two pages in Debian's chromium (playwright-core),
// page 1 on node A and page 2 on node B of one Redis, join one room, each sends a message, and
// each shows both, in the same order, with the same ids. Run by browser.sh (in a private network
// namespace, like ../chat/browser.sh).
//
//   node browser.mjs --server /path/to/chat_server [--redis-server PATH] [--chromium PATH]
import { createRequire } from 'node:module';
import { Redis, died, sleep, startNode } from './procs.mjs';

const require = createRequire(new URL('../chat/browser/package.json', import.meta.url));
const { chromium } = require('playwright-core');

const argv = process.argv.slice(2);
const opt = (name, fallback) => {
  const i = argv.indexOf(name);
  return i >= 0 && i + 1 < argv.length ? argv[i + 1] : fallback;
};
const serverBin = opt('--server');
const redisBin = opt('--redis-server', '/usr/bin/redis-server');
const chromiumBin = opt('--chromium', '/usr/bin/chromium');
if (!serverBin) {
  console.error('usage: node browser.mjs --server /path/to/chat_server [--redis-server PATH] [--chromium PATH]');
  process.exit(2);
}
const WAIT_MS = 15_000;
const globalTimer = setTimeout(() => {
  console.log('not ok - global timeout (90 s)');
  process.exit(1);
}, 90_000);

function same(actual, expected, msg) {
  const a = JSON.stringify(actual);
  const b = JSON.stringify(expected);
  if (a !== b) throw new Error(`${msg}\n  expected ${b}\n  actual   ${a}`);
}

async function waitFor(p, fn, arg, what) {
  try {
    await p.page.waitForFunction(fn, arg, { timeout: WAIT_MS, polling: 50 });
  } catch (e) {
    throw new Error(`${p.name}: timed out waiting for ${what}: ${e.message.split('\n')[0]}`);
  }
}

let browser = null;
async function join(base, room, name) {
  const context = await browser.newContext({ viewport: { width: 1000, height: 640 } });
  const page = await context.newPage();
  const p = { page, name, errors: [] };
  page.on('pageerror', (e) => p.errors.push(e.message));
  await page.goto(`${base}/`);
  await page.getByTestId('name').fill(name);
  await page.getByTestId('room').fill(room);
  await page.getByTestId('join').click();
  await waitFor(p, () => document.querySelector('[data-testid=transport]').textContent !== '' &&
    document.body.dataset.clientId, null, 'to connect');
  p.clientId = await page.evaluate(() => document.body.dataset.clientId);
  return p;
}

const messages = (p) => p.page.$$eval('[data-testid=messages] [data-testid=message]', (els) =>
  els.map((e) => [e.dataset.via, e.dataset.from, e.querySelector('.text').textContent, e.dataset.id ?? null]));
const waitMessages = (p, n) => waitFor(p, (k) =>
  document.querySelectorAll('[data-testid=messages] [data-testid=message]').length >= k, n, `${n} messages`);
async function say(p, text) {
  await p.page.getByTestId('text').fill(text);
  await p.page.getByTestId('send').click();
}

let failed = false;
try {
  const redis = await new Redis(redisBin).start();
  const a = await startNode(serverBin, 'node-a', redis.port);
  const b = await startNode(serverBin, 'node-b', redis.port);
  browser = await chromium.launch({
    executablePath: chromiumBin,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
  console.log(`# chromium ${browser.version()}, redis :${redis.port}, node-a ${a.base}, node-b ${b.base}`);
  const room = 'cluster';
  const p1 = await join(a.base, room, 'Ada on A');
  const p2 = await join(b.base, room, 'Bob on B');
  for (const p of [p1, p2]) {
    await waitFor(p, () => document.querySelectorAll('[data-testid=members] [data-testid=member]').length === 2,
      null, 'both members');
    same(await p.page.$$eval('[data-testid=member] .member-name', (els) => els.map((e) => e.textContent).sort()),
      ['Ada on A', 'Bob on B'], `${p.name}: member names`);
  }
  await say(p1, 'hello from node A');
  await waitMessages(p2, 1);
  await say(p2, 'hello from node B');
  for (const p of [p1, p2]) await waitMessages(p, 2);
  await sleep(300); // a duplicate, if any, would arrive now
  const m1 = await messages(p1);
  const m2 = await messages(p2);
  same(m1.map((m) => m.slice(0, 3)), [['server', p1.clientId, 'hello from node A'], ['server', p2.clientId, 'hello from node B']],
    'page 1 (node A) shows both messages in order');
  same(m2, m1, 'page 2 (node B) shows the same messages, ids and order');
  for (const [n, p] of [[a, p1], [b, p2]]) {
    const st = await (await fetch(`${n.base}/stats`)).json();
    same([st.node, st.rooms?.[room]?.members, st.rooms?.[room]?.messages], [n.id, 2, 2], `/stats of ${n.id}`);
    same(p.errors, [], `${p.name}: uncaught page errors`);
  }
  same(died.map((d) => `${d.what}: ${JSON.stringify({ code: d.code, signal: d.signal })}`), [], 'no process died');
  console.log('ok - two pages on two nodes chat: both messages on both pages, same order');
} catch (e) {
  failed = true;
  console.log(`not ok - two pages on two nodes chat: ${e.stack ?? e}`);
}
if (browser) await Promise.race([browser.close().catch(() => {}), sleep(5000)]);
clearTimeout(globalTimer);
process.exit(failed ? 1 : 0);
