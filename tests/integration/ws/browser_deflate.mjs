// Headless Chromium against examples/ws_echo_server: the browser's own WebSocket offers
// permessage-deflate (every browser does); the server must accept it (ws.extensions is the
// Sec-WebSocket-Extensions value of the 101), and compressed messages of every size must echo
// intact both ways (text with multi-byte characters, binary, a 1 MiB text that the server
// inflates and deflates in pieces), then a clean close. With --no-deflate the server declines
// and the same exchange runs uncompressed.
//
//   node browser_deflate.mjs PORT EXPECT_DEFLATE(0|1) [CHROMIUM]
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { chromium } = require('./browser/node_modules/playwright-core');

const port = Number(process.argv[2]);
const expectDeflate = process.argv[3] === '1';
const executablePath = process.argv[4] ?? '/usr/bin/chromium';

const browser = await chromium.launch({
  executablePath,
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'],
});
let failures = 0;
try {
  const page = await browser.newPage();
  const result = await page.evaluate(async (url) => {
    const ws = new WebSocket(url);
    ws.binaryType = 'arraybuffer';
    const next = () => new Promise((resolve, reject) => {
      ws.onmessage = (e) => resolve(e.data);
      ws.onclose = (e) => reject(new Error(`closed ${e.code}`));
    });
    await new Promise((resolve, reject) => {
      ws.onopen = resolve;
      ws.onerror = () => reject(new Error('connect failed'));
    });
    const out = { extensions: ws.extensions, checks: [] };
    const texts = ['', 'Hello', 'h\u00e9llo w\u00f6rld \u{1F600}',
                   JSON.stringify({ type: 'message', room: 'lobby', text: 'hi '.repeat(300) }),
                   'x'.repeat(1 << 20)];
    for (const t of texts) {
      const reply = next();
      ws.send(t);
      const got = await reply;
      out.checks.push([`text ${t.length}`, got === t]);
    }
    const bin = new Uint8Array(70000);
    for (let i = 0; i < bin.length; ++i) bin[i] = (i * 7919) & 255;
    const reply = next();
    ws.send(bin);
    const got = new Uint8Array(await reply);
    out.checks.push(['binary 70000', got.length === bin.length && got.every((b, i) => b === bin[i])]);
    const closed = new Promise((resolve) => { ws.onclose = (e) => resolve(e.code); });
    ws.close(1000);
    out.checks.push(['close 1000', (await closed) === 1000]);
    return out;
  }, `ws://127.0.0.1:${port}/`);
  const negotiated = result.extensions.startsWith('permessage-deflate');
  if (negotiated !== expectDeflate) {
    ++failures;
    console.error(`FAIL: Sec-WebSocket-Extensions '${result.extensions}', deflate expected: ${expectDeflate}`);
  }
  for (const [what, ok] of result.checks) {
    if (!ok) {
      ++failures;
      console.error(`FAIL: ${what} echoed differently`);
    }
  }
  console.log(`browser_deflate: extensions '${result.extensions}', ${result.checks.length} checks`);
} finally {
  await browser.close();
}
process.exit(failures === 0 ? 0 : 1);
