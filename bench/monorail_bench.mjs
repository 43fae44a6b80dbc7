// MonoRail's get and query round trips from each document store (issue #14 §6), next to Myxi's
// Ping round trip on the same node, in the same run. One node (--threads 1; with --herald-cpu
// pinned to that core) serves Myxi on /pushwss and, for each store kind K of --stores, a store
// of that kind with resource K_nodes on /K_nodes (MonoRail). `--documents` nodes are written to
// each store first: through PUT /api/resources/sqlite_nodes/{id} for sqlite (Herald writes that
// store); with psql for postgres, whose documents the application writes (Herald only reads a
// postgres store): a table made for the run (docs/configuration.md's shape, plus the expression
// index on document #> '{name}' that the docs advise for queried paths), dropped at the end.
// Then `--clients` WebSocket clients (npm `ws`, in this process) each keep one request in flight:
//   get:   {"handler":"get","params":{"id":"n<random>"}}       → item (one document by id)
//   query: {"handler":"query","params":{"name":"node-<random>"}} → list (a JSON field's equality)
//   ping:  Myxi {"action":"Ping"} → Pong: the same node's round trip without a store (the peer)
// The peer is not SQLite read straight from Node: Node 20 has no built-in SQLite and npm's
// bindings are native modules built at install, which this project's setup does not do.
//
// Stores: --stores (BENCH_MONORAIL_STORES in scripts/bench), a comma-separated list of kinds.
// sqlite runs on a file in a temporary folder; postgres and mongodb run where
// HERALD_TEST_POSTGRES_URL / HERALD_TEST_MONGODB_URL name a server (scripts/bench starts a
// private PostgreSQL with scripts/brokers when none is named), and are reported as skipped (with
// why) otherwise, or when the node has no store of that kind. mongodb has no filler yet: it is
// reported skipped. backend is the back end's contract: an HTTP back end in this process (so it
// shares the clients' CPU) answers get and query from the same documents, held in a Map.
//
//   node bench/monorail_bench.mjs --herald BIN [--stores sqlite] [--clients 16]
//                                 [--documents 2000] [--duration 5] [--warmup 1]
//                                 [--herald-cpu N] [--json]
import { execFileSync } from 'node:child_process';
import http from 'node:http';
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

// One store kind's part of the run: its [stores.K] table, its [[resources]] table, and how its
// documents are written; or why that kind cannot run here.
function storePart(kind, dir) {
  const resource = `${kind}_nodes`;
  switch (kind) {
    case 'sqlite':
      return {
        store: `kind = "sqlite"\nfile = "${join(dir, 'documents.sqlite3')}"\n`,
        resource: `name = "${resource}"\nstore = "${kind}"\n`,
        fill: (port) => putDocuments(port, resource),
      };
    case 'postgres': {
      const url = process.env.HERALD_TEST_POSTGRES_URL;
      if (!url) return { skipped: 'HERALD_TEST_POSTGRES_URL is not set' };
      // A table of the run's own, so that runs against one server never share rows.
      const table = `herald_bench_nodes_${process.pid}`;
      // listen = "": nothing writes this table during the run, so no change is awaited.
      return {
        store: `kind = "postgres"\nurl = "${url}"\nlisten = ""\n`,
        resource: `name = "${resource}"\nstore = "${kind}"\ncollection = "${table}"\n`,
        fill: async () => fillPostgres(url, table),
        drop: () => psql(url, `DROP TABLE IF EXISTS ${table}`),
      };
    }
    case 'backend':
      // The back end's contract (docs/backend.md#monorail-resources-the-back-end-answers): an
      // HTTP back end in this process answers from the same documents held in a Map, as an
      // application would from its own database.
      return {
        resource: `name = "${resource}"\nstore = "backend"\n`,
        backend: true,
        fill: async () => startBackend(),
      };
    case 'mongodb':
      return { skipped: 'the bench has no filler for mongodb yet (no MongoDB server on this machine to try one)' };
    default:
      return { skipped: `unknown store kind "${kind}"` };
  }
}

const config = (parts) => `api_key = "${apiKey}"\n` +
  (parts.some(([, part]) => part.backend) ? `[backend]\nurl = "${backendUrl}"\n` : '') +
  '[[endpoints]]\npath = "/pushwss"\n' +
  parts.map(([kind]) => `[[endpoints]]\npath = "/${kind}_nodes"\ndialect = "monorail"\n`).join('') +
  parts.filter(([, part]) => part.store).map(([kind, part]) => `[stores.${kind}]\n${part.store}`).join('') +
  parts.map(([, part]) => `[[resources]]\n${part.resource}`).join('');

// Writes the documents, `clients` at a time, as a RackHD service would (one PUT each).
async function putDocuments(port, resource) {
  let next = 0;
  await Promise.all(Array.from({ length: clients }, async () => {
    while (next < documents) {
      const i = next++;
      const res = await fetch(`http://127.0.0.1:${port}/api/resources/${resource}/n${i}`, {
        method: 'PUT',
        headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
        body: JSON.stringify({ id: `n${i}`, name: `node-${i}`, type: 'compute', sku: `sku-${i % 10}` }),
      });
      if (res.status !== 201 && res.status !== 200) throw new Error(`PUT n${i}: ${res.status} ${await res.text()}`);
    }
  }));
}

// The back end of the `backend` kind: its port is chosen before the node starts (the node's
// config names it), and it serves the run's documents once fill() has made them.
const backendServer = stores.includes('backend') ? http.createServer(answerBackend) : null;
if (backendServer) await new Promise((resolve) => backendServer.listen(0, '127.0.0.1', resolve));
const backendUrl = backendServer ? `http://127.0.0.1:${backendServer.address().port}/herald` : '';
const backendDocuments = new Map();
const backendByName = new Map();

function startBackend() {
  for (let i = 0; i < documents; i++) {
    const document = { id: `n${i}`, name: `node-${i}`, type: 'compute', sku: `sku-${i % 10}` };
    backendDocuments.set(document.id, document);
    backendByName.set(document.name, document);
  }
}

// get → the document or null; query by name → the list (an index, as a database would use).
function answerBackend(req, res) {
  let body = '';
  req.setEncoding('utf8');
  req.on('data', (chunk) => { body += chunk; });
  req.on('end', () => {
    const request = JSON.parse(body);
    let payload = null;
    if (request.kind === 'monorail' && request.handler === 'get') {
      payload = backendDocuments.get(request.params?.id) ?? null;
    } else if (request.kind === 'monorail') {
      const found = backendByName.get(request.params?.name);
      payload = found ? [found] : [];
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ payload }));
  });
}

function psql(url, sql) {
  execFileSync('psql', [url, '-v', 'ON_ERROR_STOP=1', '-q', '-c', sql], { stdio: ['ignore', 'ignore', 'inherit'] });
}

// The same documents as sqlite's, written by the database's own client (one statement), in the
// table shape of docs/configuration.md, with the expression index the docs advise for a
// queried path (Herald's criterion is document #> path = value).
function fillPostgres(url, table) {
  psql(url, `SET client_min_messages = warning;
    DROP TABLE IF EXISTS ${table};
    CREATE TABLE ${table} (id text PRIMARY KEY, document jsonb NOT NULL);
    INSERT INTO ${table} SELECT 'n' || i, jsonb_build_object('name', 'node-' || i, 'type', 'compute', 'sku', 'sku-' || (i % 10))
      FROM generate_series(0, ${documents - 1}) AS i;
    CREATE INDEX ON ${table} ((document #> '{name}'));
    ANALYZE ${table};`);
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
let parts = [];
try {
  for (const kind of stores) {
    const part = storePart(kind, dir);
    if (part.skipped) {
      process.stderr.write(`monorail-bench: ${kind}: skipped (${part.skipped})\n`);
      results.stores[kind] = { skipped: part.skipped };
    } else {
      parts.push([kind, part]);
    }
  }
  // One node for every store and the peer. A node without a store kind stops at start with
  // `stores.K.kind: …`: that kind is reported skipped and the node started without it.
  let node;
  for (;;) {
    writeFileSync(join(dir, 'herald.toml'), config(parts));
    try {
      node = await startHerald(args.herald, join(dir, 'herald.toml'), args['herald-cpu']);
      break;
    } catch (error) {
      const lacking = parts.find(([kind]) => String(error.message).includes(`stores.${kind}.kind`));
      if (!lacking) throw error;
      const why = String(error.message).split('\n').find((l) => l.includes(`stores.${lacking[0]}.kind`)).trim();
      process.stderr.write(`monorail-bench: ${lacking[0]}: skipped (${why})\n`);
      results.stores[lacking[0]] = { skipped: why };
      parts = parts.filter((p) => p !== lacking);
    }
  }
  try {
    for (const [kind, part] of parts) {
      process.stderr.write(`monorail-bench: ${kind}: writing ${documents} documents\n`);
      await part.fill(node.port);
      const monorail = await connect(node.port, `/${kind}_nodes`, null);
      results.stores[kind] = {
        get: await measure((i) => monorail.ask(i, `{"handler":"get","params":{"id":"n${pick()}"}}`, '"handler":"item"'), `${kind}: get`),
        query: await measure((i) => monorail.ask(i, `{"handler":"query","params":{"name":"node-${pick()}"}}`, '"handler":"list"'), `${kind}: query`),
      };
      monorail.close();
    }
    // The peer, on the same node: the same client and connection count.
    const myxi = await connect(node.port, '/pushwss', '"event":"Welcome"');
    results.myxi_ping = await measure((i) => myxi.ask(i, '{"action":"Ping","tag":"p"}', '"event":"Pong"'), 'Myxi Ping (the peer)');
    myxi.close();
  } finally {
    await node.stop();
  }
} finally {
  for (const [, part] of parts) part.drop?.();
  backendServer?.closeAllConnections();
  backendServer?.close();
  rmSync(dir, { recursive: true, force: true });
}

if (args.json) {
  process.stdout.write(`${JSON.stringify(results)}\n`);
} else {
  for (const [k, v] of Object.entries(results)) process.stdout.write(`${k.padEnd(12)} ${JSON.stringify(v)}\n`);
}
