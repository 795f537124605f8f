// Differential test: random event streams decoded by `rtwire sse decode` and by the npm package
// eventsource-parser (fed through a streaming TextDecoder, as a browser-like client would) must
// give identical events, retries and final last event ID.
//
//   node differential.mjs /path/to/rtwire [--streams N] [--seed S]
//
// Streams mix every field (data, event, id, retry, comments, unknown fields, fields without a
// colon), CR / LF / CRLF line endings, BOMs (leading, doubled, mid-stream), invalid UTF-8, U+0000,
// and random chunking on both sides.
//
// eventsource-parser is not exactly WHATWG in three places; each is normalised or avoided here,
// and nowhere else:
// 1. It resets `id` at every blank line and reports an event's id only when that block set one,
//    so an id in a block without data (an "id-only block") is lost. The spec commits it (the last
//    event ID changes without an event). We track the last event ID from the ids it reports (as
//    its companion `eventsource` client does) and the generator never writes an id-only block.
// 2. A CR that ends a chunk is held back until a later chunk contains a CR or LF (to see whether
//    an LF follows), and it has no end-of-stream call: if the stream ends first, that line ending
//    is lost (e.g. `data: x\n\r` | `data: tail` never dispatches x). The spec ends the line at
//    the CR. So the JS side never cuts a chunk right after the stream's last CR/LF when that is a
//    CR (CR|LF splits before it are still exercised), and gets one extra LF after a CR that is
//    the very last byte ("\r" and "\r\n" are one line ending, so this changes nothing).
// 3. It strips the three characters U+00EF U+00BB U+00BF at the start of its first chunk (a BOM
//    misread as Latin-1); the spec treats them as content. The generator never starts a stream
//    with them (the real BOM is removed by TextDecoder, exactly as the spec's UTF-8 decode does).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createParser } from 'eventsource-parser';

const args = process.argv.slice(2);
const cli = args[0];
if (!cli) {
  console.error('usage: node differential.mjs /path/to/rtwire [--streams N] [--seed S]');
  process.exit(2);
}
const opt = (name, dflt) => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : dflt;
};
const streams = opt('--streams', 400);
let seed = opt('--seed', 20261123) >>> 0;

// Deterministic PRNG (mulberry32), so a failure is reproducible from its seed.
function rand() {
  seed = (seed + 0x6d2b79f5) >>> 0;
  let t = seed;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
const pick = (xs) => xs[Math.floor(rand() * xs.length)];
const int = (n) => Math.floor(rand() * n);

const enc = new TextEncoder();
const bytes = (s) => Array.from(enc.encode(s));
const INVALID = [[0xff], [0xc0, 0xaf], [0xe2, 0x82], [0xed, 0xa0, 0x80], [0xf0, 0x90, 0x80],
                 [0xf4, 0x90, 0x80, 0x80], [0x80], [0xe0, 0x80], [0xc3]];
const TEXT = ['a', 'b', 'z', ' ', ':', '0', '9', 'data', 'id', '{"k":1}', 'é', '€', '😀', '\t',
              '\u0000', '\uFEFF', 'ü', '中'];

function value() {
  const out = [];
  const n = int(6);
  for (let i = 0; i < n; i++) {
    const r = rand();
    if (r < 0.12) out.push(...pick(INVALID));
    else out.push(...bytes(pick(TEXT)));
  }
  return out;
}
const sep = () => bytes(pick([':', ': ', ':  ', ':']));
const eol = () => bytes(pick(['\n', '\n', '\r', '\r\n']));

// One block: a list of lines (byte arrays) and whether it has a data line / an id line.
function block() {
  const lines = [];
  let hasData = false, hasId = false;
  const n = 1 + int(5);
  for (let i = 0; i < n; i++) {
    const kind = pick(['data', 'data', 'data', 'event', 'id', 'retry', 'comment', 'unknown',
                       'bare']);
    switch (kind) {
      case 'data': lines.push([...bytes('data'), ...sep(), ...value()]); hasData = true; break;
      case 'event': lines.push([...bytes('event'), ...sep(), ...value()]); break;
      case 'id': lines.push([...bytes('id'), ...sep(), ...value()]); hasId = true; break;
      case 'retry': {
        const v = pick([String(int(100000)), '0' + String(int(1000)), '12x', '', '-5',
                        ' 7', String(int(1e15))]);
        lines.push([...bytes('retry'), ...sep(), ...bytes(v)]);
        break;
      }
      case 'comment': lines.push([...bytes(':'), ...value()]); break;
      case 'unknown':
        lines.push([...bytes(pick(['foo', 'Data', 'ID', 'data ', '\uFEFFdata', 'retryx'])),
                    ...sep(), ...value()]);
        break;
      case 'bare': {
        const f = pick(['data', 'id', 'event', 'retry']);
        lines.push(bytes(f));
        if (f === 'data') hasData = true;
        if (f === 'id') hasId = true;
        break;
      }
    }
  }
  // Difference 1: never an id-only block.
  if (hasId && !hasData) lines.push([...bytes('data'), ...sep(), ...value()]);
  return lines;
}

function stream() {
  const out = [];
  const r = rand();
  if (r < 0.15) out.push(0xef, 0xbb, 0xbf);
  // A second BOM or a partial one is content: it gets a line of its own (an unknown field) so
  // that it cannot rename the first block's data field (which could make an id-only block).
  else if (r < 0.2) out.push(0xef, 0xbb, 0xbf, 0xef, 0xbb, 0xbf, 0x0a);
  else if (r < 0.23) out.push(0xef, 0xbb, 0x0a);
  const blocks = int(8);
  for (let b = 0; b < blocks; b++) {
    for (const line of block()) out.push(...line, ...eol());
    out.push(...eol());  // the blank line that dispatches
  }
  if (rand() < 0.3) out.push(...bytes('data: unterminated'));  // discarded at end of stream
  if (rand() < 0.2) out.push(0x0d);                              // a trailing CR
  // Difference 3: never U+00EF U+00BB U+00BF at the start (our alphabet has no such text).
  return Uint8Array.from(out);
}

function chunks(buf) {
  let lastBreak = -1;
  for (let i = 0; i < buf.length; i++) if (buf[i] === 0x0a || buf[i] === 0x0d) lastBreak = i;
  const out = [];
  for (let at = 0; at < buf.length;) {
    let n = 1 + int(rand() < 0.3 ? 4 : 64);
    if (at + n - 1 === lastBreak && buf[lastBreak] === 0x0d) n++;  // difference 2
    out.push(buf.subarray(at, at + n));
    at += n;
  }
  return out;
}

// eventsource-parser through a streaming TextDecoder, normalised as described above.
function viaEventsourceParser(buf) {
  const out = [];
  let lastId = '';
  const parser = createParser({
    onEvent(e) {
      if (typeof e.id === 'string') lastId = e.id;
      out.push({ type: e.event ?? 'message', data: e.data, id: lastId });
    },
    onRetry(ms) { out.push({ retry: ms }); },
  });
  const dec = new TextDecoder('utf-8');
  for (const c of chunks(buf)) {
    const text = dec.decode(c, { stream: true });
    if (text !== '') parser.feed(text);
  }
  const tail = dec.decode();
  if (tail !== '') parser.feed(tail);
  if (buf.length > 0 && buf[buf.length - 1] === 0x0d) parser.feed('\n');  // difference 2
  return { events: out, lastId };
}

function viaRtwire(file) {
  const chunk = 1 + int(100);
  const r = spawnSync(cli, ['sse', 'decode', '--chunk', String(chunk), file], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`rtwire exited ${r.status}: ${r.stderr}${r.stdout}`);
  const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
  const end = lines.pop();
  if (!end.end) throw new Error(`no end line: ${JSON.stringify(end)}`);
  return { events: lines, lastId: end.end.last_event_id };
}

const dir = mkdtempSync(join(tmpdir(), 'rtwire-sse-diff-'));
let failures = 0, events = 0;
try {
  for (let i = 0; i < streams; i++) {
    const startSeed = seed;
    const buf = stream();
    const file = join(dir, 'stream.bin');
    writeFileSync(file, buf);
    const ours = viaRtwire(file);
    const theirs = viaEventsourceParser(buf);
    const a = JSON.stringify(ours), b = JSON.stringify(theirs);
    events += theirs.events.length;
    if (a !== b) {
      failures++;
      if (failures <= 3) {
        console.error(`stream ${i} (seed ${startSeed}) differs`);
        console.error(`  bytes:  ${Buffer.from(buf).toString('hex')}`);
        console.error(`  rtwire: ${a}`);
        console.error(`  parser: ${b}`);
      }
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
console.log(`differential: ${streams} streams, ${events} events, ${failures} mismatches`);
process.exit(failures === 0 ? 0 : 1);
