// MonoRail's get and query round trips from each document store (issue #14 §6), next to Myxi's
// Ping round trip on the same node, in the same run. One node (--threads 1; with --herald-cpu
// pinned to that core) serves resource `nodes` on /nodes (MonoRail) and Myxi on /pushwss.
// `--documents` nodes are first written through PUT /api/resources/nodes/{id}; then `--clients`
// WebSocket clients (npm `ws`, in this process) each keep one request in flight:
//   get:   {"handler":"get","params":{"id":"n<random>"}}       → item (one document by id)
//   query: {"handler":"query","params":{"name":"node-<random>"}} → list (a JSON field's equality)
//   ping:  Myxi {"action":"Ping"} → Pong: the same node's round trip without a store (the peer)
// The peer is not SQLite read straight from Node: Node 20 has no built-in SQLite and npm's
// bindings are native modules built at install, which this project's setup does not do.
//
// Stores: --stores (BENCH_MONORAIL_STORES in scripts/bench), a comma-separated list of kinds.
// sqlite runs on a file in a temporary folder; postgres and mongodb run where the node has that
// store kind and HERALD_TEST_POSTGRES_URL / HERALD_TEST_MONGODB_URL name a server, and are
// reported as skipped (with why) otherwise.
//
//   node bench/monorail_bench.mjs --herald BIN [--stores sqlite] [--clients 16]
//                                 [--documents 2000] [--duration 5] [--warmup 1]
//                                 [--herald-cpu N] [--json]
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { startHerald } from './herald_process.mjs';
import { measureRoundTrips } from './round_trips.mjs';

const args = Object.fromEntries(process.argv.slice(2).reduce((pairs, arg, i, all) => {
  if (arg.startsWith('--')) pairs.push([arg.slice(2), all[i + 1]?.startsWith('--') || all[i + 1] === undefined ? true : all[i + 1]]);
  return pairs;
}, []));
const stores = String(args.stores ?? 'sqlite').split(',').map((s) => s.trim()).filter(Boolean);
const clients = Number(args.clients ?? 16);
const documents = Number(args.documents ?? 2000);
const duration = Number(args.duration ?? 5) * 1000;
const warmup = Number(args.warmup ?? 1) * 1000;
const apiKey = 'bench-key';
const measure = (call, what) => measureRoundTrips({ clients, warmup, duration, call, what, log: 'monorail-bench' });

// The [stores.documents] table of each kind, or why that kind cannot run here.
function storeTable(kind, dir) {
  switch (kind) {
    case 'sqlite':
      return { table: `kind = "sqlite"\nfile = "${join(dir, 'documents.sqlite3')}"\n` };
    case 'postgres':
    case 'mongodb': {
      const variable = `HERALD_TEST_${kind.toUpperCase()}_URL`;
      const url = process.env[variable];
      return url ? { table: `kind = "${kind}"\nurl = "${url}"\n` } : { skipped: `${variable} is not set` };
    }
    default:
      return { skipped: `unknown store kind "${kind}"` };
  }
}

const config = (store) => `api_key = "${apiKey}"\n` +
  '[[endpoints]]\npath = "/pushwss"\n' +
  '[[endpoints]]\npath = "/nodes"\ndialect = "monorail"\n' +
  `[stores.documents]\n${store}` +
  '[[resources]]\nname = "nodes"\nstore = "documents"\n';

// Writes the documents, `clients` at a time, as a RackHD service would (one PUT each).
async function preload(port) {
  let next = 0;
  await Promise.all(Array.from({ length: clients }, async () => {
    while (next < documents) {
      const i = next++;
      const res = await fetch(`http://127.0.0.1:${port}/api/resources/nodes/n${i}`, {
        method: 'PUT',
        headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
        body: JSON.stringify({ id: `n${i}`, name: `node-${i}`, type: 'compute', sku: `sku-${i % 10}` }),
      });
      if (res.status !== 201 && res.status !== 200) throw new Error(`PUT n${i}: ${res.status} ${await res.text()}`);
    }
  }));
}

// `clients` WebSocket connections to `path`; each answers its requests in order, so one FIFO
// of waiting calls per connection is enough. `ready(message)` says the greeting (if any) came.
async function connect(port, path, greeted) {
  const sockets = await Promise.all(Array.from({ length: clients }, () => new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}${path}`);
    const waiting = [];
    ws.on('open', () => { if (!greeted) resolve({ ws, waiting }); });
    ws.on('message', (data) => {
      const text = data.toString();
      if (greeted && text.includes(greeted)) { resolve({ ws, waiting }); return; }
      waiting.shift()?.(text);
    });
    ws.on('error', reject);
  })));
  return {
    ask: (i, message, expected) => new Promise((resolve, reject) => {
      sockets[i].waiting.push((text) => (text.includes(expected) ? resolve() : reject(new Error(text))));
      sockets[i].ws.send(message);
    }),
    close: () => sockets.forEach((s) => s.ws.close()),
  };
}

const pick = () => Math.floor(Math.random() * documents);
const results = { clients, documents, stores: {} };
const dir = mkdtempSync(join(tmpdir(), 'herald-monorail-bench-'));
try {
  let pinged = false;
  for (const kind of stores) {
    const store = storeTable(kind, dir);
    if (store.skipped) {
      process.stderr.write(`monorail-bench: ${kind}: skipped (${store.skipped})\n`);
      results.stores[kind] = { skipped: store.skipped };
      continue;
    }
    writeFileSync(join(dir, `${kind}.toml`), config(store.table));
    let node;
    try {
      node = await startHerald(args.herald, join(dir, `${kind}.toml`), args['herald-cpu']);
    } catch (error) {
      // A node without that store kind stops at start and says so.
      const why = String(error.message).split('\n').find((l) => l.includes('config:')) ?? error.message;
      process.stderr.write(`monorail-bench: ${kind}: skipped (${why.trim()})\n`);
      results.stores[kind] = { skipped: why.trim() };
      continue;
    }
    try {
      await preload(node.port);
      const monorail = await connect(node.port, '/nodes', null);
      results.stores[kind] = {
        get: await measure((i) => monorail.ask(i, `{"handler":"get","params":{"id":"n${pick()}"}}`, '"handler":"item"'), `${kind}: get`),
        query: await measure((i) => monorail.ask(i, `{"handler":"query","params":{"name":"node-${pick()}"}}`, '"handler":"list"'), `${kind}: query`),
      };
      monorail.close();
      if (!pinged) {
        // The peer, once, on the first node: the same client, connection count and node.
        const myxi = await connect(node.port, '/pushwss', '"event":"Welcome"');
        results.myxi_ping = await measure((i) => myxi.ask(i, '{"action":"Ping","tag":"p"}', '"event":"Pong"'), 'Myxi Ping (the peer)');
        myxi.close();
        pinged = true;
      }
    } finally {
      await node.stop();
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}

if (args.json) {
  process.stdout.write(`${JSON.stringify(results)}\n`);
} else {
  for (const [k, v] of Object.entries(results)) process.stdout.write(`${k.padEnd(12)} ${JSON.stringify(v)}\n`);
}
