// STUN over TCP at any segmentation: sends Binding requests to examples/stun_server cut in
// every way that matters (byte by byte, each two-way split, several requests in one write,
// random cuts) and checks each answer: a Binding success with the request's transaction ID and
// an XOR-MAPPED-ADDRESS equal to this socket's address and port, in request order.
//
//   node tcp_segments.mjs PORT
import net from 'node:net';
import crypto from 'node:crypto';

const port = Number(process.argv[2]);
const COOKIE = 0x2112a442;

function request() {
  const m = Buffer.alloc(20);
  m.writeUInt16BE(0x0001, 0);
  m.writeUInt16BE(0, 2);
  m.writeUInt32BE(COOKIE, 4);
  crypto.randomBytes(12).copy(m, 8);
  return m;
}

function check(response, req, sock) {
  const type = response.readUInt16BE(0);
  if (type !== 0x0101) throw new Error(`type 0x${type.toString(16)}, want 0x0101`);
  if (!response.subarray(8, 20).equals(req.subarray(8, 20))) throw new Error('transaction ID differs');
  let at = 20;
  while (at + 4 <= response.length) {
    const t = response.readUInt16BE(at);
    const len = response.readUInt16BE(at + 2);
    if (t === 0x0020) {
      const p = response.readUInt16BE(at + 6) ^ (COOKIE >>> 16);
      const a = response.readUInt32BE(at + 8) ^ COOKIE;
      const ip = [a >>> 24, (a >>> 16) & 255, (a >>> 8) & 255, a & 255].join('.');
      if (ip !== sock.localAddress || p !== sock.localPort) {
        throw new Error(`mapped ${ip}:${p}, want ${sock.localAddress}:${sock.localPort}`);
      }
      return;
    }
    at += 4 + ((len + 3) & ~3);
  }
  throw new Error('no XOR-MAPPED-ADDRESS');
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/// One connection: writes `stream` in the pieces given by `cuts`, expects one answer per request.
async function run(label, requests, cuts) {
  const stream = Buffer.concat(requests);
  const sock = net.connect({ host: '127.0.0.1', port, noDelay: true });
  await new Promise((resolve, reject) => { sock.once('connect', resolve); sock.once('error', reject); });
  let got = Buffer.alloc(0);
  const answers = [];
  const done = new Promise((resolve, reject) => {
    sock.on('data', (d) => {
      got = Buffer.concat([got, d]);
      while (got.length >= 20 && got.length >= 20 + got.readUInt16BE(2)) {
        const n = 20 + got.readUInt16BE(2);
        answers.push(got.subarray(0, n));
        got = got.subarray(n);
      }
      if (answers.length === requests.length) resolve();
    });
    sock.on('error', reject);
    sock.on('close', () => reject(new Error(`${label}: closed after ${answers.length} answers`)));
  });
  let at = 0;
  for (const cut of [...cuts, stream.length]) {
    if (cut > at) {
      sock.write(stream.subarray(at, cut));
      at = cut;
      await sleep(2);  // separate TCP segments
    }
  }
  const timer = setTimeout(() => sock.destroy(new Error(`${label}: timeout`)), 5000);
  await done;
  clearTimeout(timer);
  requests.forEach((req, i) => check(answers[i], req, sock));
  sock.removeAllListeners('close');
  sock.destroy();
}

const one = request();
await run('whole', [one], []);
await run('byte by byte', [request()], [...Array(20).keys()]);
for (let at = 1; at < 20; ++at) await run(`split at ${at}`, [request()], [at]);
await run('three in one write', [request(), request(), request()], []);
const reqs = Array.from({ length: 8 }, request);
const cuts = Array.from({ length: 20 }, () => crypto.randomInt(1, 160)).sort((a, b) => a - b);
await run('random cuts', reqs, cuts);
console.log('tcp_segments: ok');
