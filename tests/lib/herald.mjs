// Starts the real herald binary for a test and talks to it: WebSocket clients (npm ws), raw
// TCP sockets for byte-level frame tests, and HTTP. Everything waits on events, never on sleeps.
import { spawn } from 'node:child_process';
import http from 'node:http';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import net from 'node:net';
import WebSocket from 'ws';

const binary = process.env.HERALD_BIN ?? new URL('../../build/dev/herald', import.meta.url).pathname;

// The binary under test, for tests that run a herald command themselves (herald publish).
export const heraldBinary = binary;

// Resolves with `promise`, or rejects after `ms` with a message saying what we waited for.
export function within(ms, promise, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

// Runs herald on 127.0.0.1 and a free port. `config` is TOML text. Resolves once it listens.
export async function startHerald({ config = '', args = [], env = {}, threads = 2 } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'herald-test-'));
  const configFile = join(dir, 'herald.toml');
  writeFileSync(configFile, config);
  const child = spawn(binary, ['--config', configFile, '--port', '0', '--bind', '127.0.0.1',
    '--threads', String(threads), '--api-key', 'test-key', ...args], {
    env: { ...process.env, HERALD_PORT: '', MYXI_PORT: '', MIXI_PORT: '', PORT: '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  const listening = new Promise((resolve, reject) => {
    const onData = (chunk) => {
      output += chunk;
      const match = /listening on http:\/\/[^:]+:(\d+)/.exec(output);
      if (match) resolve(Number(match[1]));
    };
    child.stderr.on('data', onData);
    child.stdout.on('data', onData);
    exited.then(({ code }) => reject(new Error(`herald exited (${code}) before listening:\n${output}`)));
  });
  const port = await within(20000, listening, 'herald to listen');
  const node = {
    port,
    child,
    exited,
    get output() { return output; },
    url: (path = '/') => `http://127.0.0.1:${port}${path}`,
    wsUrl: (path = '/pushwss') => `ws://127.0.0.1:${port}${path}`,
    // SIGTERM, then wait for the exit: the process must end by itself.
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      const result = await within(15000, exited, 'herald to exit');
      rmSync(dir, { recursive: true, force: true });
      // A crash (a sanitizer report, say) shows up in the failing assertion on the exit code.
      if (result.code !== 0) process.stderr.write(`herald exited with ${result.code ?? result.signal}:\n${output}\n`);
      return result;
    },
  };
  return node;
}

// A client of a JSON dialect over a real WebSocket. Messages are queued; next() waits for the
// first one that matches, in arrival order (a string matches the message's `nameKey` member).
export async function connectJson(node, path, { headers, nameKey = 'event' } = {}) {
  const ws = new WebSocket(node.wsUrl(path), headers ? { headers } : undefined);
  const queue = [];
  const waiters = [];
  let closed = null;
  const closedPromise = new Promise((resolve) => {
    ws.on('close', (code, reason) => {
      closed = { code, reason: reason.toString() };
      resolve(closed);
      for (const w of waiters.splice(0)) w.reject(new Error(`socket closed (${code}) while waiting`));
    });
  });
  ws.on('message', (data) => {
    const message = JSON.parse(data.toString());
    const i = waiters.findIndex((w) => w.match(message));
    if (i >= 0) waiters.splice(i, 1)[0].resolve(message);
    else queue.push(message);
  });
  await within(10000, new Promise((resolve, reject) => { ws.once('open', resolve); ws.once('error', reject); }), 'the WebSocket to open');
  return {
    ws,
    closed: () => closedPromise,
    get isClosed() { return closed !== null; },
    next(match = () => true, what = 'a message', ms = 10000) {
      const predicate = typeof match === 'string' ? (m) => m[nameKey] === match : match;
      const i = queue.findIndex(predicate);
      if (i >= 0) return Promise.resolve(queue.splice(i, 1)[0]);
      if (closed) return Promise.reject(new Error(`socket closed (${closed.code}) before ${what}`));
      return within(ms, new Promise((resolve, reject) => waiters.push({ match: predicate, resolve, reject })),
        typeof match === 'string' ? match : what);
    },
    sendRaw(text) { ws.send(text); },
    sendJson(message) { ws.send(JSON.stringify(message)); },
    received: queue,
    close() { ws.close(); return closedPromise; },
  };
}

// A Myxi client (connectJson) that has had its Welcome.
export async function connectMyxi(node, path = '/pushwss') {
  const client = await connectJson(node, path);
  let tag = 0;
  client.send = (action, payload, explicitTag) => {
    const t = explicitTag === undefined ? `t${++tag}` : explicitTag;
    client.ws.send(JSON.stringify({ action, tag: t, payload }));
    return t;
  };
  // Sends an action and waits for the first reply carrying its tag.
  client.request = async (action, payload) => {
    const t = client.send(action, payload);
    return client.next((m) => m.tag === t, `the reply to ${action}`);
  };
  client.welcome = await client.next('Welcome');
  return client;
}

// POST of JSON to the node's API with its key (or `raw` bytes as the body): { status, body }.
async function postApi(node, path, body, { key = 'test-key', raw } = {}) {
  const response = await fetch(node.url(path), {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(key ? { authorization: `Bearer ${key}` } : {}) },
    body: raw ?? JSON.stringify(body),
  });
  return { status: response.status, body: await response.json() };
}

// POST /api/publish: events to topics.
export const publish = (node, events, options) => postApi(node, '/api/publish', events, options);
// POST /api/send: an event addressed to sessions (docs/backend.md#addressing).
export const send = (node, body, options) => postApi(node, '/api/send', body, options);
// POST /api/notify: a message for an identity's sessions, kept in its mailbox while it has none.
export const notify = (node, body, options) => postApi(node, '/api/notify', body, options);

// Each scrape is one fresh connection that closes after the answer, so herald_connections
// counts exactly one connection of the test's own: the scrape.
export async function metrics(node) {
  const text = await new Promise((resolve, reject) => {
    http.get(node.url('/metrics'), { agent: false, headers: { connection: 'close' } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => { body += chunk; });
      res.on('end', () => resolve(body));
    }).on('error', reject);
  });
  const values = new Map();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const space = line.lastIndexOf(' ');
    values.set(line.slice(0, space), Number(line.slice(space + 1)));
  }
  return values;
}

// Polls a condition on the server (metrics, mostly) until it holds: the server's state is not
// an event the test can subscribe to. Bounded, and fails with `what`.
export async function eventually(check, what, ms = 10000) {
  const deadline = Date.now() + ms;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

// A raw TCP connection that has done the WebSocket upgrade: for byte-level frame tests.
// It waits for the Welcome text frame, as on a Myxi endpoint; with { welcome: false } (for a
// dialect that sends nothing first, such as echo) it waits only for the 101 response instead.
export async function rawWebSocket(node, path = '/pushwss', { welcome = true } = {}) {
  const socket = net.connect(node.port, '127.0.0.1');
  await within(5000, new Promise((resolve, reject) => { socket.once('connect', resolve); socket.once('error', reject); }), 'TCP connect');
  socket.write(`GET ${path} HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
    'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n');
  let buffer = Buffer.alloc(0);
  const frames = [];
  const waiters = [];
  let ended = false;
  const endWaiters = [];
  let headerDone = false;
  let onUpgrade;
  const upgraded = new Promise((resolve) => { onUpgrade = resolve; });
  socket.on('data', (chunk) => {
    buffer = Buffer.concat([buffer, chunk]);
    if (!headerDone) {
      const end = buffer.indexOf('\r\n\r\n');
      if (end < 0) return;
      headerDone = true;
      onUpgrade(buffer.subarray(0, end).toString());
      buffer = buffer.subarray(end + 4);
    }
    for (;;) {
      const frame = parseServerFrame(buffer);
      if (!frame) break;
      buffer = buffer.subarray(frame.size);
      const i = waiters.findIndex((w) => w.match(frame));
      if (i >= 0) waiters.splice(i, 1)[0].resolve(frame);
      else frames.push(frame);
    }
  });
  const onEnd = () => { ended = true; for (const r of endWaiters.splice(0)) r(); };
  socket.on('end', onEnd);
  socket.on('close', onEnd);
  socket.on('error', () => {});
  const raw = {
    socket,
    write: (bytes) => socket.write(bytes),
    nextFrame(match = () => true, what = 'a frame', ms = 10000) {
      const i = frames.findIndex(match);
      if (i >= 0) return Promise.resolve(frames.splice(i, 1)[0]);
      return within(ms, new Promise((resolve) => waiters.push({ match, resolve })), what);
    },
    // The close frame the server sends, as {code, reason}.
    async closeFrame(ms = 10000) {
      const f = await raw.nextFrame((x) => x.opcode === 8, 'a close frame', ms);
      return { code: f.payload.length >= 2 ? f.payload.readUInt16BE(0) : 1005, reason: f.payload.subarray(2).toString() };
    },
    ended: () => (ended ? Promise.resolve() : within(10000, new Promise((r) => endWaiters.push(r)), 'the server to end the connection')),
    destroy: () => socket.destroy(),
  };
  if (!welcome) {
    const response = await within(5000, upgraded, 'the upgrade response');
    if (!/^HTTP\/1\.1 101 /.test(response)) {
      socket.destroy();
      throw new Error(`the upgrade was refused:\n${response}`);
    }
    return raw;
  }
  const welcomeFrame = await raw.nextFrame((f) => f.opcode === 1, 'Welcome');
  raw.welcome = JSON.parse(welcomeFrame.payload.toString());
  return raw;
}

function parseServerFrame(buffer) {
  if (buffer.length < 2) return null;
  const fin = (buffer[0] & 0x80) !== 0;
  const opcode = buffer[0] & 0x0f;
  let length = buffer[1] & 0x7f;
  let offset = 2;
  if (length === 126) { if (buffer.length < 4) return null; length = buffer.readUInt16BE(2); offset = 4; }
  else if (length === 127) { if (buffer.length < 10) return null; length = Number(buffer.readBigUInt64BE(2)); offset = 10; }
  if (buffer.length < offset + length) return null;
  return { fin, opcode, payload: Buffer.from(buffer.subarray(offset, offset + length)), size: offset + length };
}

// A client frame: masked unless told otherwise.
export function clientFrame(opcode, payload, { fin = true, mask = true, rsv = 0 } = {}) {
  const data = Buffer.isBuffer(payload) ? payload : Buffer.from(payload);
  const header = [((fin ? 0x80 : 0) | (rsv << 4) | opcode)];
  const maskBit = mask ? 0x80 : 0;
  if (data.length < 126) header.push(maskBit | data.length);
  else if (data.length < 65536) header.push(maskBit | 126, data.length >> 8, data.length & 0xff);
  else {
    header.push(maskBit | 127);
    const big = Buffer.alloc(8); big.writeBigUInt64BE(BigInt(data.length));
    header.push(...big);
  }
  if (!mask) return Buffer.concat([Buffer.from(header), data]);
  const key = Buffer.from([0x12, 0x34, 0x56, 0x78]);
  const masked = Buffer.from(data.map((b, i) => b ^ key[i % 4]));
  return Buffer.concat([Buffer.from(header), key, masked]);
}
