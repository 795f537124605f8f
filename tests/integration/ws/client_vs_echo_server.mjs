// The npm `ws` client against examples/ws_echo_server: random message sizes and kinds (text with
// multi-byte characters, binary), messages fragmented at random byte positions (splitting UTF-8
// sequences), pings, close codes, many connections at once, and protocol violations written
// raw to the socket, each of which must be answered with the right close code. Half the echo
// sessions negotiate permessage-deflate (RFC 7692) with a different option set each (window bits,
// context takeover, ws's threshold 0 so every message is compressed); the violations run without
// it (RSV1 must stay a 1002 there) and again with it (RSV1 on control and continuation frames,
// bad DEFLATE data).
//
//   node client_vs_echo_server.mjs PORT [--seed N] [--messages N]
import { WebSocket } from 'ws';

const port = Number(process.argv[2]);
const arg = (name, fallback) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
let seed = arg('--seed', Date.now() % 1000000);
const messages = arg('--messages', 300);
console.log(`client_vs_echo_server: seed ${seed}`);

// Deterministic PRNG (mulberry32), so a failure can be replayed with --seed.
function random() {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = seed;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
const randint = (n) => Math.floor(random() * n);

const sizes = [0, 1, 125, 126, 127, 65535, 65536, 65537];
function randomSize() {
  const r = random();
  if (r < 0.4) return sizes[randint(sizes.length)];
  if (r < 0.9) return randint(4096);
  return randint(1 << 20);  // below the server's --max-message of 1 MiB
}
const alphabet = ['a', 'Z', ' ', '\u00e9', '\u03ba', '\u20ac', '\ud55c', '\ud83d\ude00'];
const alphabetBytes = alphabet.map((c) => Buffer.byteLength(c));
function randomText(bytes) {
  const parts = [];
  for (let n = 0; n < bytes;) {
    const i = randint(alphabet.length);
    parts.push(alphabet[i]);
    n += alphabetBytes[i];
  }
  return parts.join('');
}
function randomBinary(bytes) {
  const b = Buffer.alloc(bytes);
  for (let i = 0; i < bytes; ++i) b[i] = randint(256);
  return b;
}

// perMessageDeflate option sets of the npm ws client (false: not offered).
const deflateSets = [
  false,
  { threshold: 0 },
  { threshold: 0, serverNoContextTakeover: true, clientNoContextTakeover: true },
  { threshold: 0, serverMaxWindowBits: 10, clientMaxWindowBits: 9 },
  { threshold: 0, clientNoContextTakeover: true, serverMaxWindowBits: 15 },
  { threshold: 0, serverNoContextTakeover: true, clientMaxWindowBits: 12 },
  { threshold: 64, serverMaxWindowBits: 9 },
  false,
];
function open(perMessageDeflate = false) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/`, { maxPayload: 64 << 20,
                                                          perMessageDeflate });
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  });
}
const next = (ws, event) => new Promise((resolve) => ws.once(event, (...a) => resolve(a)));

let failures = 0;
function check(ok, what) {
  if (!ok) {
    ++failures;
    console.error(`FAIL: ${what}`);
  }
}

// 1. Echo of random messages, some fragmented at random byte positions, pings in between.
async function echoSession(id, count) {
  const deflate = deflateSets[id % deflateSets.length];
  const ws = await open(deflate);
  // The server answers every offer it can honour (zlib: windows 9-15).
  check((ws.extensions.includes('permessage-deflate')) === (deflate !== false),
        `session ${id}: extensions '${ws.extensions}' for ${JSON.stringify(deflate)}`);
  for (let i = 0; i < count; ++i) {
    const binary = random() < 0.5;
    const size = randomSize();
    const payload = binary ? randomBinary(size) : Buffer.from(randomText(size));
    const reply = next(ws, 'message');
    if (size > 2 && random() < 0.3) {
      // RFC 6455 §5.4 fragmentation; for text, the cut may fall inside a UTF-8 sequence.
      const cuts = [randint(size), randint(size)].sort((a, b) => a - b);
      ws.send(payload.subarray(0, cuts[0]), { binary, fin: false });
      ws.ping(Buffer.from(`between ${i}`));
      ws.send(payload.subarray(cuts[0], cuts[1]), { binary, fin: false });
      ws.send(payload.subarray(cuts[1]), { binary, fin: true });
    } else {
      ws.send(payload, { binary });
    }
    const [data, isBinary] = await reply;
    check(isBinary === binary, `session ${id} message ${i}: kind`);
    check(Buffer.compare(Buffer.from(data), payload) === 0,
          `session ${id} message ${i}: ${size} bytes echoed differently`);
    if (random() < 0.2) {
      const ping = randomBinary(randint(126));
      const pong = next(ws, 'pong');
      ws.ping(ping);
      const [got] = await pong;
      check(Buffer.compare(got, ping) === 0, `session ${id}: pong payload`);
    }
  }
  const closed = next(ws, 'close');
  ws.close(1000);
  const [code] = await closed;
  check(code === 1000, `session ${id}: close code ${code}`);
}

// 2. Close codes are echoed.
async function closeCode(code) {
  const ws = await open();
  const closed = next(ws, 'close');
  ws.close(code, 'bye');
  const [got] = await closed;
  check(got === code, `close ${code} echoed as ${got}`);
}

// 3. Violations written raw to the socket (masked, as a client must) close with the right code.
function frame(first, payload, { mask = true } = {}) {
  const key = Buffer.from([0x12, 0x34, 0x56, 0x78]);
  const head = payload.length < 126 ? Buffer.from([first, (mask ? 0x80 : 0) | payload.length])
                                    : Buffer.from([first, (mask ? 0x80 : 0) | 126,
                                                   payload.length >> 8, payload.length & 255]);
  if (!mask) return Buffer.concat([head, payload]);
  const body = Buffer.from(payload.map((b, i) => b ^ key[i & 3]));
  return Buffer.concat([head, key, body]);
}
async function violation(name, bytes, expected, deflate = false) {
  const ws = await open(deflate);
  const closed = next(ws, 'close');
  ws.on('error', () => {});  // ws reports the server's close as an error for some codes
  ws._socket.write(bytes);
  const [code] = await closed;
  check(code === expected, `${name}: closed with ${code}, expected ${expected}`);
}

const sessions = [];
for (let s = 0; s < 8; ++s) sessions.push(echoSession(s, Math.ceil(messages / 8)));
await Promise.all(sessions);
for (const code of [1000, 1001, 1003, 1007, 1008, 1011, 3000, 4999]) await closeCode(code);
await violation('invalid UTF-8', frame(0x81, Buffer.from([0x68, 0xc0, 0xaf])), 1007);
await violation('invalid UTF-8 across fragments',
                Buffer.concat([frame(0x01, Buffer.from([0xce])), frame(0x80, Buffer.from('A'))]),
                1007);
await violation('reserved opcode', frame(0x83, Buffer.alloc(0)), 1002);
await violation('RSV1 without extension', frame(0xc1, Buffer.from('x')), 1002);
// With permessage-deflate negotiated (RFC 7692 §6.1, §7.2.2).
await violation('deflate: RSV1 on a ping', frame(0xc9, Buffer.alloc(0)), 1002, { threshold: 0 });
await violation('deflate: RSV1 on a continuation',
                Buffer.concat([frame(0x41, Buffer.from([0xf2, 0x48])),
                               frame(0xc0, Buffer.from([0xcd, 0xc9, 0xc9, 0x07, 0x00]))]),
                1002, { threshold: 0 });
await violation('deflate: not DEFLATE data', frame(0xc1, Buffer.from([0xff, 0xff])), 1007,
                { threshold: 0 });
await violation('unmasked client frame', frame(0x81, Buffer.from('x'), { mask: false }), 1002);
await violation('fragmented ping', frame(0x09, Buffer.alloc(0)), 1002);
await violation('continuation with nothing to continue', frame(0x80, Buffer.from('x')), 1002);
await violation('close code 1005 on the wire', frame(0x88, Buffer.from([0x03, 0xed])), 1002);
await violation('close payload of 1 byte', frame(0x88, Buffer.from([0x03])), 1002);
// The server runs with --max-message 1048576: a frame announcing 2 MiB fails at its header.
await violation('message over --max-message',
                Buffer.from([0x82, 0xff, 0, 0, 0, 0, 0, 0x20, 0, 0, 1, 2, 3, 4]), 1009);

// A 2 MiB message to a server limited to 1 MiB: it closes with 1009 while the client is still
// sending, and must linger so that the close frame reaches the client instead of a reset.
{
  const ws = await open();
  ws.on('error', () => {});
  const closed = next(ws, 'close');
  ws.send(randomBinary(2 << 20), { binary: true });
  const [code] = await closed;
  check(code === 1009, `2 MiB message: closed with ${code}, expected 1009`);
}

console.log(failures === 0 ? 'client_vs_echo_server: OK' : `client_vs_echo_server: ${failures} failures`);
process.exit(failures === 0 ? 0 : 1);
