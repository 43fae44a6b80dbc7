// Actions through one node to a back end, next to the same back end called directly with the
// same client library, in the same run (issue #12 §9): over HTTP (Node's http server as the
// back end; node:http keep-alive as the direct client) and over RabbitMQ (an amqplib worker
// as the back end; an amqplib RPC client as the direct one). Through Herald, Myxi clients send
// a custom action and wait for its answer. Each client keeps one action in flight.
//
//   node bench/actions_bench.mjs --herald BIN [--amqp URL] [--clients 32] [--duration 10]
//                                [--warmup 2] [--herald-cpu N] [--json]
//
// Prints a table, or with --json one JSON object. Herald runs with --threads 1 (with
// --herald-cpu, pinned to that core by taskset). The back ends (an HTTP server, an amqplib
// worker) run in this process, beside the clients, both with TCP_NODELAY (amqplib's noDelay) as
// a back end that answers fast would: without it Nagle holds each answer for ~40 ms.
import http from 'node:http';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import amqplib from 'amqplib';
import WebSocket from 'ws';
import { startHerald as startNode } from './herald_process.mjs';
import { measureRoundTrips } from './round_trips.mjs';

const args = Object.fromEntries(process.argv.slice(2).reduce((pairs, arg, i, all) => {
  if (arg.startsWith('--')) pairs.push([arg.slice(2), all[i + 1]?.startsWith('--') || all[i + 1] === undefined ? true : all[i + 1]]);
  return pairs;
}, []));
const clients = Number(args.clients ?? 32);
const duration = Number(args.duration ?? 10) * 1000;
const warmup = Number(args.warmup ?? 2) * 1000;
const answer = JSON.stringify({ event: 'Done', payload: { ok: true } });

const measure = (call, what) => measureRoundTrips({ clients, warmup, duration, call, what, log: 'actions-bench' });

async function startHerald(config) {
  const dir = mkdtempSync(join(tmpdir(), 'herald-actions-bench-'));
  writeFileSync(join(dir, 'herald.toml'), config);
  return startNode(args.herald, join(dir, 'herald.toml'), args['herald-cpu']);
}

// Myxi clients, each with one action in flight.
async function heraldClients(port) {
  const sockets = await Promise.all(Array.from({ length: clients }, () => new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/pushwss`);
    const waiting = new Map();
    ws.on('message', (data) => {
      const m = JSON.parse(data.toString());
      if (m.event === 'Welcome') { resolve({ ws, waiting }); return; }
      const w = waiting.get(m.tag);
      if (w) { waiting.delete(m.tag); m.event === 'Done' ? w.resolve() : w.reject(new Error(m.payload?.error)); }
    });
    ws.on('error', reject);
  })));
  let tag = 0;
  return {
    call: (i) => new Promise((resolve, reject) => {
      const t = ++tag;
      sockets[i].waiting.set(t, { resolve, reject });
      sockets[i].ws.send(JSON.stringify({ action: 'Bench', tag: t, payload: {} }));
    }),
    close: () => sockets.forEach((s) => s.ws.close()),
  };
}

const results = {};

// ---- HTTP
{
  const backend = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(answer) });
      res.end(answer);
    });
  });
  await new Promise((resolve) => backend.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${backend.address().port}/herald`;
  const agent = new http.Agent({ keepAlive: true, maxSockets: clients });
  const body = JSON.stringify({ kind: 'action', action: 'Bench', payload: {} });
  results.http_direct = await measure(() => new Promise((resolve, reject) => {
    const req = http.request(url, { method: 'POST', agent, headers: { 'content-type': 'application/json' } }, (res) => {
      res.resume();
      res.on('end', resolve);
    });
    req.on('error', reject);
    req.end(body);
  }), 'HTTP, direct');
  const node = await startHerald(`[backend]\nurl = "${url}"\nactions = ["Bench"]\nconnections = ${clients}\n`);
  const through = await heraldClients(node.port);
  results.http_through_herald = await measure(through.call, 'HTTP, through Herald');
  through.close();
  await node.stop();
  agent.destroy();
  backend.close();
}

// ---- RabbitMQ
if (args.amqp) {
  const queue = `herald-actions-bench-${process.pid}`;
  const worker = await amqplib.connect(args.amqp, { noDelay: true });
  const workerChannel = await worker.createChannel();
  await workerChannel.assertQueue(queue, { durable: false, autoDelete: true });
  await workerChannel.prefetch(clients);
  await workerChannel.consume(queue, (m) => {
    workerChannel.sendToQueue(m.properties.replyTo, Buffer.from(answer), { correlationId: m.properties.correlationId });
    workerChannel.ack(m);
  });

  const client = await amqplib.connect(args.amqp, { noDelay: true });
  const channel = await client.createChannel();
  const { queue: replies } = await channel.assertQueue('', { exclusive: true });
  const waiting = new Map();
  await channel.consume(replies, (m) => {
    const w = waiting.get(m.properties.correlationId);
    if (w) { waiting.delete(m.properties.correlationId); w(); }
  }, { noAck: true });
  let id = 0;
  const body = Buffer.from(JSON.stringify({ kind: 'action', action: 'Bench', payload: {} }));
  results.amqp_direct = await measure(() => new Promise((resolve) => {
    const correlationId = String(++id);
    waiting.set(correlationId, resolve);
    channel.sendToQueue(queue, body, { replyTo: replies, correlationId });
  }), 'RabbitMQ, direct');
  await client.close();

  const node = await startHerald(`[bus]\nurl = "${args.amqp}"\n[backend]\nqueue = "${queue}"\nactions = ["Bench"]\n`);
  const through = await heraldClients(node.port);
  results.amqp_through_herald = await measure(through.call, 'RabbitMQ, through Herald');
  through.close();
  await node.stop();
  await worker.close();
}

const added = (through, direct) => results[through] && results[direct] && {
  p50_us: results[through].p50_us - results[direct].p50_us,
  p99_us: results[through].p99_us - results[direct].p99_us,
};
results.added_http = added('http_through_herald', 'http_direct');
if (args.amqp) results.added_amqp = added('amqp_through_herald', 'amqp_direct');
results.clients = clients;

if (args.json) {
  console.log(JSON.stringify(results));
} else {
  for (const [name, r] of Object.entries(results)) console.log(name.padEnd(22), JSON.stringify(r));
}
process.exit(0);
