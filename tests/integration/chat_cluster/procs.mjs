// The processes of a chat cluster test (cluster.mjs, browser.mjs): a private redis-server on a
// free port (`--save '' --appendonly no`: nothing on disk, a restart starts empty), chat_server
// nodes started with --redis and --port 0 (the port read from "chat_server listening on H:P"),
// and a TCP proxy that can cut one node off from Redis. Every process started here is killed when
// node exits; a node or Redis that exits without being asked to is recorded in `died`.
import { spawn } from 'node:child_process';
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

export { sleep };

/** Processes that exited without being asked to: [{child, what, code, signal, log}]. */
export const died = [];
const children = new Set();
process.on('exit', () => {
  for (const p of children) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
});

export async function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

// A child process whose output is kept (the last 16 KiB) and whose exit is watched.
function launch(what, bin, args) {
  const proc = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(proc);
  const child = { what, proc, out: '', log: '', expectedExit: false, exit: null };
  const keep = (s) => (s.length > 16384 ? s.slice(-16384) : s);
  proc.stdout.on('data', (d) => { child.out = keep(child.out + d); child.log = keep(child.log + d); });
  proc.stderr.on('data', (d) => { child.log = keep(child.log + d); });
  child.exited = new Promise((resolve) => proc.once('exit', (code, signal) => {
    children.delete(proc);
    child.exit = { code, signal };
    if (!child.expectedExit) died.push({ child, what, code, signal, log: child.log.slice(-2000) });
    resolve(child.exit);
  }));
  proc.once('error', (e) => { child.log += `\nspawn error: ${e.message}`; });
  return child;
}

/** Kills a child (SIGKILL unless told) and waits for its exit. */
export async function stop(child, signal = 'SIGKILL') {
  if (!child || child.exit) return child?.exit;
  child.expectedExit = true;
  child.proc.kill(signal);
  return child.exited;
}

/**
 * One Redis command over RESP; resolves with the first line of the reply ("+PONG", ":1",
 * "-ERR ..."). Rejects when nothing answers within `ms`.
 */
export function redisCommand(port, args, ms = 2000) {
  return new Promise((resolve, reject) => {
    const sock = net.connect(port, '127.0.0.1');
    let text = '';
    const timer = setTimeout(() => { sock.destroy(); reject(new Error(`redis ${args[0]}: no answer in ${ms} ms`)); }, ms);
    sock.on('connect', () => {
      sock.write(`*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(String(a))}\r\n${a}\r\n`).join('')}`);
    });
    sock.on('data', (d) => {
      text += d.toString();
      const i = text.indexOf('\r\n');
      if (i >= 0) { clearTimeout(timer); sock.destroy(); resolve(text.slice(0, i)); }
    });
    sock.on('error', (e) => { clearTimeout(timer); reject(e); });
  });
}

/** redis-server on `port` (a free one when not given), nothing persisted. */
export class Redis {
  constructor(bin, port = 0) {
    this.bin = bin;
    this.port = port;
  }

  async start() {
    if (!this.port) this.port = await freePort();
    this.child = launch(`redis-server :${this.port}`, this.bin,
      ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no',
        '--dir', '/tmp', '--loglevel', 'warning']);
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      if (this.child.exit) throw new Error(`redis-server exited: ${this.child.log.slice(-500)}`);
      try {
        if ((await redisCommand(this.port, ['PING'], 500)) === '+PONG') return this;
      } catch {
        // not listening yet
      }
      await sleep(50);
    }
    throw new Error(`redis-server on ${this.port} did not answer PING in 10 s`);
  }

  command(...args) {
    return redisCommand(this.port, args);
  }

  async kill() {
    await stop(this.child, 'SIGKILL');
  }
}

/**
 * A chat_server node: `--host 127.0.0.1 --port 0 --redis 127.0.0.1:REDIS --node-id ID` plus
 * `extra`. Resolves once it printed its port; rejects (with its stderr) if it exits first.
 */
export async function startNode(serverBin, id, redisPort, extra = []) {
  const args = ['--host', '127.0.0.1', '--port', '0', '--redis', `127.0.0.1:${redisPort}`,
    ...(id === null ? [] : ['--node-id', id]), ...extra];
  const node = launch(`chat_server ${id}`, serverBin, args);
  node.id = id;
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    const m = /^chat_server listening on [^ ]*:(\d+)$/m.exec(node.out);
    if (m) {
      node.port = Number(m[1]);
      node.base = `http://127.0.0.1:${node.port}`;
      return node;
    }
    if (node.exit) {
      node.expectedExit = true;
      const i = died.findIndex((d) => d.child === node);
      if (i >= 0) died.splice(i, 1);
      const e = new Error(`chat_server --node-id ${id} exited (${JSON.stringify(node.exit)}) before listening: ${node.log.trim().slice(-600)}`);
      e.node = node;
      throw e;
    }
    await sleep(20);
  }
  await stop(node);
  throw new Error(`chat_server --node-id ${id} printed no "listening on" line in 10 s: ${node.log.slice(-600)}`);
}

/**
 * A TCP proxy 127.0.0.1:port → 127.0.0.1:target. `down = true` refuses new connections;
 * cut() resets every open one (both sides).
 */
export class TcpProxy {
  constructor(target) {
    this.target = target;
    this.down = false;
    this.conns = new Set();
    this.server = net.createServer((client) => this.#accept(client));
  }

  async listen() {
    await new Promise((r) => this.server.listen(0, '127.0.0.1', r));
    this.port = this.server.address().port;
    return this;
  }

  cut() {
    for (const c of this.conns) {
      c.client.resetAndDestroy();
      c.upstream.resetAndDestroy();
    }
    this.conns.clear();
  }

  close() {
    this.cut();
    this.server.close();
  }

  #accept(client) {
    if (this.down) {
      client.resetAndDestroy();
      return;
    }
    const upstream = net.connect(this.target, '127.0.0.1');
    const c = { client, upstream };
    this.conns.add(c);
    const end = () => {
      this.conns.delete(c);
      client.destroy();
      upstream.destroy();
    };
    client.on('error', end);
    upstream.on('error', end);
    client.on('close', end);
    upstream.on('close', end);
    client.pipe(upstream);
    upstream.pipe(client);
  }
}
