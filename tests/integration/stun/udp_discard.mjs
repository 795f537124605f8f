// RFC 8489 §6.3 at the server: malformed datagrams, an indication and a request with a wrong
// FINGERPRINT get no answer; a valid Binding request right after them does.
//
//   node udp_discard.mjs PORT
import dgram from 'node:dgram';
import crypto from 'node:crypto';

const port = Number(process.argv[2]);
const sock = dgram.createSocket('udp4');
await new Promise((r) => sock.bind(0, '127.0.0.1', r));
const answers = [];
sock.on('message', (m) => answers.push(m));
const send = (b) => new Promise((r) => sock.send(b, port, '127.0.0.1', r));
const header = (type, len) => {
  const m = Buffer.alloc(20);
  m.writeUInt16BE(type, 0);
  m.writeUInt16BE(len, 2);
  m.writeUInt32BE(0x2112a442, 4);
  crypto.randomBytes(12).copy(m, 8);
  return m;
};

await send(Buffer.from('not stun at all'));                        // malformed
await send(Buffer.concat([header(0x0001, 4), Buffer.from([0, 0])]));  // length mismatch
await send(header(0x0011, 0));                                       // Binding indication
// A request whose FINGERPRINT is wrong.
await send(Buffer.concat([header(0x0001, 8), Buffer.from([0x80, 0x28, 0, 4, 1, 2, 3, 4])]));
await new Promise((r) => setTimeout(r, 300));
if (answers.length !== 0) throw new Error(`discarded datagrams were answered (${answers.length})`);
const req = header(0x0001, 0);
await send(req);
await new Promise((r) => setTimeout(r, 300));
if (answers.length !== 1 || answers[0].readUInt16BE(0) !== 0x0101 ||
    !answers[0].subarray(8, 20).equals(req.subarray(8, 20))) {
  throw new Error('the valid request was not answered');
}
sock.close();
console.log('udp_discard: ok');
