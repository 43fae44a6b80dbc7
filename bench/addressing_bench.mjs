// Events addressed to sessions (issue #13 §6): unicasts (POST /api/send to one session by id)
// and notifies (POST /api/notify to an identity the session registered as, by its token's
// register_as claim) through one node, and across two nodes on a broker (sent through node 1 to
// sessions on node 2), on each bus given. Each of `--senders` HTTP keep-alive loops keeps one
// request in flight, addressed to the sessions in turn; each event carries its send time, so the
// latency is from the POST to the delivery. The HTTP senders and the sessions run here.
//
//   node bench/addressing_bench.mjs --herald BIN [--amqp URL] [--redis URL] [--sessions 100]
//                                   [--senders 16] [--duration 5] [--warmup 1]
//                                   [--herald-cpu N] [--json]
import http from 'node:http';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { startHerald as startNode } from './herald_process.mjs';
import { signJwt } from '../tests/lib/jwt.mjs';

const args = Object.fromEntries(process.argv.slice(2).reduce((pairs, arg, i, all) => {
  if (arg.startsWith('--')) pairs.push([arg.slice(2), all[i + 1]?.startsWith('--') || all[i + 1] === undefined ? true : all[i + 1]]);
  return pairs;
}, []));
const sessions = Number(args.sessions ?? 100);
const senders = Number(args.senders ?? 16);
const duration = Number(args.duration ?? 5) * 1000;
const warmup = Number(args.warmup ?? 1) * 1000;
const secret = 'addressing-bench';
const prefix = `bench-${process.pid}`;

async function startHerald(bus, nodeId, dir) {
  const config = join(dir, `node${nodeId}.toml`);
  writeFileSync(config, `api_key = "bench"\nnode_id = ${nodeId}\n[auth]\njwt_secret = "${secret}"\n` +
    `[addressing]\nprefix = "${prefix}"\n[mailboxes]\nfile = "${join(dir, 'mail.sqlite3')}"\n` +
    `max_messages = 100000\nmax_bytes = 104857600\n${bus ? `[bus]\nurl = "${bus}"\n` : ''}`);
  return startNode(args.herald, config, args['herald-cpu']);
}

// `count` Myxi sessions on `node`, each authenticated with a token that registers it as
// "bench-<i>" (a mailbox); `received(latency_ms)` is called for each application event.
async function connectSessions(node, count, received) {
  return Promise.all(Array.from({ length: count }, (_, i) => new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${node.port}/pushwss`);
    let id;
    ws.on('message', (data) => {
      const m = JSON.parse(data.toString());
      if (m.event === 'Welcome') {
        id = m.payload.id;
        const token = signJwt({ sub: `bench-user-${i}`, register_as: { identity: `bench-${i}`, max_connections: 1000 } }, { secret });
        ws.send(JSON.stringify({ action: 'Authenticate', tag: 'a', payload: { token } }));
      } else if (m.event === 'Authenticated') {
        resolve({ ws, id, identity: `bench-${i}` });
      } else if (m.mq) {
        received(performance.now() - m.payload.t);
      }
    });
    ws.on('error', reject);
  })));
}

// Keeps `senders` POSTs in flight for warmup + duration, to the targets in turn. Counts the
// accepted ones and the deliveries (with their latency) of the measured window.
async function measure(what, sender, targets, body) {
  process.stderr.write(`addressing-bench: ${what}\n`);
  const agent = new http.Agent({ keepAlive: true, maxSockets: senders });
  const latencies = [];
  let sent = 0;
  let refused = 0;
  let measuring = false;
  const start = performance.now();
  const end = start + warmup + duration;
  setTimeout(() => { measuring = true; }, warmup);
  targets.onEvent = (ms) => { if (measuring && performance.now() <= end) latencies.push(ms); };
  let next = 0;
  const post = (path, payload) => new Promise((resolve) => {
    const req = http.request({ host: '127.0.0.1', port: sender.port, path, method: 'POST', agent,
      headers: { authorization: 'Bearer bench', 'content-type': 'application/json' } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode));
    });
    req.on('error', () => resolve(0));
    req.end(JSON.stringify(payload));
  });
  await Promise.all(Array.from({ length: senders }, async () => {
    while (performance.now() < end) {
      const target = targets.list[next++ % targets.list.length];
      const status = await post(...body(target, performance.now()));
      if (status === 202) { if (measuring) sent++; } else refused++;
    }
  }));
  await new Promise((r) => setTimeout(r, 200)); // the last deliveries
  agent.destroy();
  latencies.sort((a, b) => a - b);
  const q = (p) => (latencies.length ? Math.round(latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] * 1000) : null);
  return { sent_per_s: Math.round(sent / (duration / 1000)), delivered_per_s: Math.round(latencies.length / (duration / 1000)),
    latency_us: { p50: q(0.5), p99: q(0.99) }, refused };
}

const unicast = (target, now) => ['/api/send', { to: { session: target.id }, event: 'U', payload: { t: now } }];
const notify = (target, now) => ['/api/notify', { identity: target.identity, event: 'N', payload: { t: now } }];

const results = {};
const buses = [['memory', ''], ...(args.amqp ? [['amqp', args.amqp]] : []), ...(args.redis ? [['redis', args.redis]] : [])];
for (const [name, url] of buses) {
  const dir = mkdtempSync(join(tmpdir(), 'herald-addressing-bench-'));
  const nodes = [await startHerald(url, 1, dir)];
  if (url) nodes.push(await startHerald(url, 2, dir));
  const targets = { list: [], onEvent: () => {} };
  const received = (ms) => targets.onEvent(ms);
  try {
    targets.list = await connectSessions(nodes[0], sessions, received);
    results[`unicast_${name}_one_node`] = await measure(`unicast, ${name}, one node`, nodes[0], targets, unicast);
    results[`notify_${name}_one_node`] = await measure(`notify, ${name}, one node`, nodes[0], targets, notify);
    if (nodes[1]) {
      for (const s of targets.list) s.ws.close();
      targets.list = await connectSessions(nodes[1], sessions, received);
      results[`unicast_${name}_two_nodes`] = await measure(`unicast, ${name}, node 1 to node 2`, nodes[0], targets, unicast);
      results[`notify_${name}_two_nodes`] = await measure(`notify, ${name}, node 1 to node 2`, nodes[0], targets, notify);
    }
  } finally {
    for (const s of targets.list) s.ws.close();
    await Promise.all(nodes.map((n) => n.stop()));
    rmSync(dir, { recursive: true, force: true });
  }
}
results.sessions = sessions;
results.senders = senders;
if (args.json) console.log(JSON.stringify(results));
else for (const [k, v] of Object.entries(results)) console.log(k.padEnd(26), JSON.stringify(v));
process.exit(0);
