// Deliveries over SockJS xhr-streaming next to plain WebSocket, in the same run (issue #13 §6).
// One node (--threads 1, pinned with --herald-cpu) serves the same Myxi endpoint both ways
// (`sockjs = true`). `--sessions` clients of one transport subscribe to one topic; `--senders`
// HTTP keep-alive loops publish batches of `--batch` events to it through POST /api/publish,
// flat out; each client counts what it receives. Then the same with the other transport. The
// clients run here, in one Node process, and do the same work per event on both transports
// (a count; a SockJS frame is parsed once, as it may carry several messages).
//
//   node bench/sockjs_bench.mjs --herald BIN [--sessions 100] [--senders 4] [--batch 50]
//                               [--duration 5] [--warmup 1] [--herald-cpu N] [--json]
import http from 'node:http';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { startHerald } from './herald_process.mjs';

const args = Object.fromEntries(process.argv.slice(2).reduce((pairs, arg, i, all) => {
  if (arg.startsWith('--')) pairs.push([arg.slice(2), all[i + 1]?.startsWith('--') || all[i + 1] === undefined ? true : all[i + 1]]);
  return pairs;
}, []));
const sessions = Number(args.sessions ?? 100);
const senders = Number(args.senders ?? 4);
const batch = Number(args.batch ?? 50);
const duration = Number(args.duration ?? 5) * 1000;
const warmup = Number(args.warmup ?? 1) * 1000;
const subscribe = JSON.stringify({ action: 'Subscribe', tag: 's', payload: { exchange: 'bench', routing_key: 'all' } });
const agent = new http.Agent({ keepAlive: true, maxSockets: senders + 8 });

function post(port, path, body, headers = {}) {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path, method: 'POST', agent, headers: { 'content-type': 'application/json', ...headers } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode));
    });
    req.on('error', reject);
    req.end(body);
  });
}

// A Myxi client over plain WebSocket; resolves once subscribed.
function webSocketClient(port, counter) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/pushwss`);
    ws.on('message', (data) => {
      const text = data.toString();
      if (text.startsWith('{"event":"Welcome"')) ws.send(subscribe);
      else if (text.startsWith('{"event":"Subscribed"')) resolve({ close: () => ws.close() });
      else counter.n++;
    });
    ws.on('error', reject);
  });
}

// A Myxi client over SockJS xhr-streaming: one long POST receives, xhr_send sends. A stream
// ends after [sockjs] response_limit_bytes; the client opens the next one at once, as
// sockjs-client does.
function xhrStreamingClient(port, counter, i) {
  const base = `/__sockjs__/000/bench${process.pid}x${i}`;
  let closed = false;
  let current = null;
  return new Promise((resolve, reject) => {
    const open = () => {
      if (closed) return;
      current = http.request({ host: '127.0.0.1', port, path: `${base}/xhr_streaming`, method: 'POST' }, (res) => {
        res.setEncoding('utf8');
        let pending = '';
        res.on('data', (chunk) => {
          pending += chunk;
          let end;
          while ((end = pending.indexOf('\n')) >= 0) {
            const frame = pending.slice(0, end);
            pending = pending.slice(end + 1);
            if (!frame.startsWith('a')) continue; // the h prelude, o, heartbeats
            for (const message of JSON.parse(frame.slice(1))) {
              if (message.startsWith('{"event":"Welcome"')) post(port, `${base}/xhr_send`, JSON.stringify([subscribe])).catch(reject);
              else if (message.startsWith('{"event":"Subscribed"')) resolve({ close: () => { closed = true; current.destroy(); } });
              else counter.n++;
            }
          }
        });
        res.on('end', open);
        res.on('error', () => {});
      });
      current.on('error', () => {});
      current.end();
    };
    open();
  });
}

async function run(port, transport) {
  process.stderr.write(`sockjs-bench: ${transport}, ${sessions} sessions\n`);
  const counter = { n: 0 };
  const clients = await Promise.all(Array.from({ length: sessions }, (_, i) =>
    (transport === 'websocket' ? webSocketClient : xhrStreamingClient)(port, counter, i)));
  const events = JSON.stringify(Array.from({ length: batch }, (_, i) => ({ exchange: 'bench', routing_key: 'all', event: 'Tick', payload: { i } })));
  const start = performance.now();
  let published = 0;
  let counted = null;
  let from = 0;
  const stopAt = start + warmup + duration;
  const measuring = setTimeout(() => { from = counter.n; counted = published; }, warmup);
  await Promise.all(Array.from({ length: senders }, async () => {
    while (performance.now() < stopAt) {
      const status = await post(port, '/api/publish', events, { authorization: 'Bearer bench' });
      if (status === 202) published += batch;
    }
  }));
  clearTimeout(measuring);
  const delivered = counter.n - from;
  for (const c of clients) c.close();
  return {
    published_per_s: Math.round((published - (counted ?? 0)) / (duration / 1000)),
    deliveries_per_s: Math.round(delivered / (duration / 1000)),
  };
}

const dir = mkdtempSync(join(tmpdir(), 'herald-sockjs-bench-'));
try {
  writeFileSync(join(dir, 'herald.toml'), 'api_key = "bench"\n[exchanges.bench]\naccess = "public"\n' +
    '[[endpoints]]\npath = "/pushwss"\nsockjs = true\n');
  const results = {};
  for (const transport of ['websocket', 'xhr_streaming']) {
    const node = await startHerald(args.herald, join(dir, 'herald.toml'), args['herald-cpu']);
    try {
      results[transport] = await run(node.port, transport);
    } finally {
      await node.stop();
    }
  }
  results.ratio = Number((results.xhr_streaming.deliveries_per_s / results.websocket.deliveries_per_s).toFixed(2));
  results.sessions = sessions;
  results.batch = batch;
  if (args.json) {
    process.stdout.write(`${JSON.stringify(results)}\n`);
  } else {
    for (const [k, v] of Object.entries(results)) process.stdout.write(`${k.padEnd(16)} ${JSON.stringify(v)}\n`);
  }
} finally {
  agent.destroy();
  rmSync(dir, { recursive: true, force: true });
}
