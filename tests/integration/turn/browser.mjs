// Two Chromium pages with iceTransportPolicy 'relay' (every candidate is a TURN relay) connect a
// data channel through examples/turn_server, with the ICE servers chat_server's GET /config
// hands out (turn:HOST:PORT with TURN REST API credentials). Signaling is this script passing
// the SDP between the pages. Checks: /config lists the TURN server with a username `expiry:chat`
// and a credential; both pages gather only relay candidates; the data channel opens and carries
// messages both ways; the selected candidate pair is relay on both sides.
//
//   node browser.mjs --chromium /usr/bin/chromium --base http://192.0.2.10:8090
import { createRequire } from 'node:module';
import { setTimeout as sleep } from 'node:timers/promises';

const require = createRequire(new URL('../chat/browser/package.json', import.meta.url));
const { chromium } = require('playwright-core');

const arg = (name) => {
  const i = process.argv.indexOf(name);
  if (i < 0 || i + 1 >= process.argv.length) throw new Error(`missing ${name}`);
  return process.argv[i + 1];
};
const chromiumBin = arg('--chromium');
const base = arg('--base');

function assert(cond, what) {
  if (!cond) throw new Error(`assertion failed: ${what}`);
}

// chat_server may still be starting.
async function waitHealthy() {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    try {
      if ((await fetch(`${base}/healthz`)).ok) return;
    } catch {
      // not yet
    }
    await sleep(50);
  }
  throw new Error('chat_server did not answer /healthz');
}

// In the page: a relay-only peer connection from GET /config; returns once ICE gathering ends.
async function setup(page, offerer) {
  return page.evaluate(async (isOfferer) => {
    const cfg = await (await fetch('/config', { cache: 'no-store' })).json();
    const pc = new RTCPeerConnection({ iceServers: cfg.iceServers, iceTransportPolicy: 'relay' });
    window.pc = pc;
    window.received = [];
    window.candidates = [];
    pc.onicecandidate = (e) => { if (e.candidate) window.candidates.push(e.candidate.candidate); };
    const attach = (ch) => {
      window.ch = ch;
      ch.onmessage = (e) => {
        window.received.push(e.data);
        if (!isOfferer) ch.send(`pong:${e.data}`);
      };
    };
    if (isOfferer) attach(pc.createDataChannel('relay-test'));
    else pc.ondatachannel = (e) => attach(e.channel);
    return cfg.iceServers;
  }, offerer);
}

async function gathered(page, what) {
  return page.evaluate(async (kind) => {
    const pc = window.pc;
    if (kind === 'offer') await pc.setLocalDescription(await pc.createOffer());
    else await pc.setLocalDescription(await pc.createAnswer());
    if (pc.iceGatheringState !== 'complete') {
      await new Promise((resolve) => {
        pc.onicegatheringstatechange = () => { if (pc.iceGatheringState === 'complete') resolve(); };
        setTimeout(resolve, 15000);
      });
    }
    return pc.localDescription.sdp;
  }, what);
}

async function selectedPairTypes(page) {
  return page.evaluate(async () => {
    const stats = await window.pc.getStats();
    let pair;
    stats.forEach((s) => {
      if (s.type === 'transport' && s.selectedCandidatePairId) pair = stats.get(s.selectedCandidatePairId);
    });
    if (!pair) stats.forEach((s) => { if (s.type === 'candidate-pair' && s.nominated && s.state === 'succeeded') pair = s; });
    if (!pair) return null;
    return [stats.get(pair.localCandidateId)?.candidateType, stats.get(pair.remoteCandidateId)?.candidateType];
  });
}

let browser;
try {
  await waitHealthy();
  browser = await chromium.launch({
    executablePath: chromiumBin,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking',
      '--disable-features=WebRtcHideLocalIpsWithMdns'],
  });
  console.log(`# chromium ${browser.version()}, chat_server at ${base}`);
  const ctx = await browser.newContext();
  const a = await ctx.newPage();
  const b = await ctx.newPage();
  await a.goto(`${base}/healthz`);
  await b.goto(`${base}/healthz`);
  const servers = await setup(a, true);
  await setup(b, false);
  const turn = servers.find((s) => String(s.urls).startsWith('turn:'));
  assert(turn, `/config lists a turn: server (${JSON.stringify(servers)})`);
  assert(turn.urls === 'turn:192.0.2.10:3478', `turn url ${turn.urls}`);
  assert(/^\d+:chat$/.test(turn.username) && Number(turn.username.split(':')[0]) > Date.now() / 1000,
    `REST username ${turn.username}`);
  assert(typeof turn.credential === 'string' && turn.credential.length === 28, 'REST credential');
  console.log(`ok - GET /config: ${turn.urls} username ${turn.username}`);

  const offer = await gathered(a, 'offer');
  await b.evaluate((sdp) => window.pc.setRemoteDescription({ type: 'offer', sdp }), offer);
  const answer = await gathered(b, 'answer');
  await a.evaluate((sdp) => window.pc.setRemoteDescription({ type: 'answer', sdp }), answer);
  for (const [name, page] of [['a', a], ['b', b]]) {
    const cands = await page.evaluate(() => window.candidates);
    assert(cands.length > 0, `page ${name} gathered candidates`);
    assert(cands.every((c) => / typ relay /.test(c)), `page ${name}: relay candidates only: ${cands}`);
  }
  console.log('ok - both pages gathered relay candidates only');

  await a.waitForFunction(() => window.ch && window.ch.readyState === 'open', null, { timeout: 20000 });
  for (let i = 0; i < 5; i++) await a.evaluate((n) => window.ch.send(`ping ${n}`), i);
  await a.waitForFunction(() => window.received.length === 5, null, { timeout: 10000 });
  const got = await a.evaluate(() => window.received);
  const echoed = await b.evaluate(() => window.received);
  assert(JSON.stringify(echoed) === JSON.stringify([0, 1, 2, 3, 4].map((n) => `ping ${n}`)), `b got ${echoed}`);
  assert(JSON.stringify(got) === JSON.stringify([0, 1, 2, 3, 4].map((n) => `pong:ping ${n}`)), `a got ${got}`);
  console.log('ok - data channel messages both ways through the relay');

  for (const [name, page] of [['a', a], ['b', b]]) {
    const types = await selectedPairTypes(page);
    assert(types && types[0] === 'relay' && types[1] === 'relay', `page ${name} selected pair ${types}`);
  }
  console.log('ok - the selected candidate pair is relay/relay on both pages');
  await browser.close();
  process.exit(0);
} catch (e) {
  console.error(`FAIL: ${e.stack || e}`);
  if (browser) await browser.close().catch(() => {});
  process.exit(1);
}
