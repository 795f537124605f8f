// An npm `ws` echo server for examples/ws_client: echoes every message with its kind, answers
// pings (ws does it), echoes the close code. Prints its port on stdout once listening.
// PERMESSAGE_DEFLATE: ws's perMessageDeflate server option as JSON (default false: not offered).
//
//   node echo_server.mjs [PORT] [PERMESSAGE_DEFLATE]
import { WebSocketServer } from 'ws';

const perMessageDeflate = process.argv[3] ? JSON.parse(process.argv[3]) : false;
const wss = new WebSocketServer({ host: '127.0.0.1', port: Number(process.argv[2] ?? 0),
                                  perMessageDeflate });
wss.on('listening', () => console.log(wss.address().port));
wss.on('connection', (ws) => {
  ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
  ws.on('error', () => {});
});
