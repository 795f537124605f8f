// Throughput of eventsource-parser on the workload of bench/sse.cpp, for the same-machine
// comparison in the SSE benchmark report: a 64 MiB stream of typical events (an id cursor, an
// event type, 1-3 data lines of ~100 bytes), in 4 KiB chunks. Two figures: "bytes" feeds byte
// chunks through a streaming TextDecoder (what a client must do with bytes from the network, and
// what rtwire's decoder does), "strings" feeds pre-decoded string chunks (the parser alone).
//
//   node bench.mjs [--seconds S]
import { createParser } from 'eventsource-parser';

const secondsArg = process.argv.indexOf('--seconds');
const seconds = secondsArg >= 0 ? Number(process.argv[secondsArg + 1]) : 5;

let s = 0x2545f491n;
const rnd = () => {
  s = (s * 6364136223846793005n + 1442695040888963407n) & 0xffffffffffffffffn;
  return Number(s >> 33n);
};
const types = ['update', 'price', 'chat-message', 'presence'];
const parts = [];
let size = 0, events = 0;
while (size < 64 * 1024 * 1024) {
  const lines = 1 + (rnd() % 3);
  let block = `id: 5f3e2a-${events + 1}\nevent: ${types[rnd() % 4]}\n`;
  for (let l = 0; l < lines; l++) {
    let text = '';
    const n = 80 + (rnd() % 21);
    for (let k = 0; k < n; k++) text += String.fromCharCode(97 + (rnd() % 26));
    block += `data: {"seq":${events},"user":"u${rnd() % 10000}","text":"${text}"}\n`;
  }
  block += '\n';
  parts.push(block);
  size += block.length;
  events++;
}
const bytes = new TextEncoder().encode(parts.join(''));

let count = 0;
const parser = createParser({ onEvent: () => { count++; } });
const textChunks = [];
{
  const dec = new TextDecoder('utf-8');
  for (let at = 0; at < bytes.length; at += 4096)
    textChunks.push(dec.decode(bytes.subarray(at, at + 4096), { stream: true }));
}
const modes = {
  bytes() {
    const dec = new TextDecoder('utf-8');
    for (let at = 0; at < bytes.length; at += 4096) {
      parser.feed(dec.decode(bytes.subarray(at, at + 4096), { stream: true }));
    }
    parser.reset();
  },
  strings() {
    for (const c of textChunks) parser.feed(c);
    parser.reset();
  },
};
for (const [name, run] of Object.entries(modes)) {
  run();  // warm-up (JIT)
  count = 0;
  let runs = 0;
  const t0 = process.hrtime.bigint();
  while (Number(process.hrtime.bigint() - t0) / 1e9 < seconds) {
    run();
    runs++;
  }
  const elapsed = Number(process.hrtime.bigint() - t0) / 1e9;
  if (count !== events * runs) throw new Error(`parsed ${count} events, expected ${events * runs}`);
  const gbps = (bytes.length * runs) / elapsed / 1e9;
  const meps = (events * runs) / elapsed / 1e6;
  console.log(`eventsource-parser (${name}): ${bytes.length} bytes, ${events} events per run, ` +
              `${runs} runs: ${gbps.toFixed(2)} GB/s, ${meps.toFixed(2)} M events/s`);
}
