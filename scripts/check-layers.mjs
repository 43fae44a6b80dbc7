#!/usr/bin/env node
// The dependency rule: which folder of src/ may #include which. `make test` runs it (scripts/test),
// so the layering cannot rot one convenient include at a time.
//
//   node scripts/check-layers.mjs [source-root]      (default: src/ of this repository)
//
// Reads every .cpp and .hpp under the root, takes each quoted #include (system includes, <...>,
// are ignored), maps the including and the included file to their layer (the first folder under
// src/; src/main.cpp is layer `main`) and checks the pair against LAYERS below. A layer may
// always include its own files. Besides the table:
//   - dialects are plug-ins: a file in src/dialects/<a>/ may not include src/dialects/<b>/, and
//     only the registry (files directly in src/dialects/) may include a dialect's folder;
//   - an include that names no file under src/ is an error (a stale include);
//   - a folder under src/ that is not in the table is an error: a new layer is placed on purpose;
//   - the layers that the includes actually connect must not form a cycle.
// Prints one line per violation and a summary, exit 1; or `layers: N files, no violations`, exit 0.
// Exit 2: bad usage, or the table itself is inconsistent.
import { readdirSync, readFileSync, statSync, existsSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

// Layer -> the layers it may include. Lower layers first. Keep it acyclic (checked at start).
const LAYERS = {
  // The floor: logging, metrics, the Asio/Beast aliases. Knows no one, so everyone can use it.
  util: [],
  // Pure parsers and renderers (frames, JSON, HTTP requests): bytes in, values out, no sockets.
  protocol: ['util'],
  // JWT verification and access policy: reads tokens with the protocol's JSON, nothing live.
  auth: ['util', 'protocol'],
  // Topics, interests, the hub: plain data structures that know nothing of the wire.
  pubsub: ['util'],
  // Carries events between nodes, addressed by pubsub topics, in the broker messages' JSON
  // (protocol/broker_message); knows no sockets of clients.
  bus: ['util', 'protocol', 'pubsub'],
  // Requests to the application back end and their answers, over HTTP or through the bus.
  backend: ['util', 'protocol', 'pubsub', 'bus'],
  // One thread's hub and connections, fed by the bus.
  shard: ['util', 'pubsub', 'bus'],
  // A connected client's state, whatever its dialect: identity, subscriptions, frames to send.
  // Document stores behind MonoRail resources (SQLite, PostgreSQL, MongoDB), each on a thread
  // of its own: equality queries over JSON documents, nothing of sessions or sockets.
  stores: ['util', 'protocol'],
  session: ['util', 'protocol', 'auth', 'pubsub', 'stores'],
  // Plug-ins, each one wire protocol spoken over a session; they never see sockets or shards.
  dialects: ['util', 'protocol', 'auth', 'pubsub', 'stores', 'session'],
  // Sockets, HTTP, handshakes: runs sessions on shards. Never sees a dialect: app plugs them in.
  transport: ['util', 'protocol', 'auth', 'pubsub', 'bus', 'backend', 'shard', 'stores',
    'session'],
  // Config and wiring: the one layer that sees every other and plugs dialects into transport.
  app: ['util', 'protocol', 'auth', 'pubsub', 'bus', 'backend', 'shard', 'stores', 'session',
    'dialects', 'transport'],
  // src/main.cpp: the command line; starts the app.
  main: ['app', 'util'],
};

const DIALECTS = 'dialects';
const MAIN_FILE = 'main.cpp';

// ---------------------------------------------------------------------------------------------

function fail(message) {
  process.stderr.write(`check-layers: ${message}\n`);
  process.exit(2);
}

// The table must name only its own layers, and must not loop: a cycle in the table would allow
// a cycle in the code.
function checkTable() {
  for (const [layer, deps] of Object.entries(LAYERS)) {
    for (const dep of deps) {
      if (!(dep in LAYERS)) fail(`the table lets ${layer} depend on ${dep}, which is not a layer`);
      if (dep === layer) fail(`the table lists ${layer} as a dependency of itself; leave it out`);
    }
  }
  const cycle = findCycle(new Map(Object.entries(LAYERS).map(([k, v]) => [k, new Set(v)])));
  if (cycle) fail(`the layer table has a cycle: ${cycle.join(' -> ')}`);
}

// A cycle in a directed graph (Map node -> Set of nodes), as [a, b, ..., a], or null.
function findCycle(graph) {
  const state = new Map(); // undefined: not seen, 1: on the stack, 2: done
  const stack = [];
  const visit = (node) => {
    state.set(node, 1);
    stack.push(node);
    for (const next of [...(graph.get(node) ?? [])].sort()) {
      if (state.get(next) === 1) return [...stack.slice(stack.indexOf(next)), next];
      if (state.get(next) === undefined) {
        const found = visit(next);
        if (found) return found;
      }
    }
    stack.pop();
    state.set(node, 2);
    return null;
  };
  for (const node of [...graph.keys()].sort()) {
    if (state.get(node) === undefined) {
      const found = visit(node);
      if (found) return found;
    }
  }
  return null;
}

// Strongly connected components with more than one node (Tarjan), each sorted.
function cyclicComponents(graph) {
  let index = 0;
  const indices = new Map();
  const low = new Map();
  const stack = [];
  const onStack = new Set();
  const components = [];
  const connect = (v) => {
    indices.set(v, index);
    low.set(v, index);
    index++;
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!indices.has(w)) {
        connect(w);
        low.set(v, Math.min(low.get(v), low.get(w)));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v), indices.get(w)));
      }
    }
    if (low.get(v) === indices.get(v)) {
      const component = [];
      let w;
      do {
        w = stack.pop();
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1) components.push(component.sort());
    }
  };
  for (const v of [...graph.keys()].sort()) if (!indices.has(v)) connect(v);
  return components.sort((a, b) => a[0].localeCompare(b[0]));
}

// Every file under `dir`, recursively, as paths relative to `root` with forward slashes.
function walk(root, dir = root, out = { files: [], dirs: [] }) {
  for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    const full = join(dir, entry.name);
    const rel = relative(root, full).split(sep).join('/');
    const isDir = entry.isDirectory() || (entry.isSymbolicLink() && statSync(full, { throwIfNoEntry: false })?.isDirectory());
    if (isDir) {
      out.dirs.push(rel);
      walk(root, full, out);
    } else {
      out.files.push(rel);
    }
  }
  return out;
}

// The text with comments and raw string literals blanked out (newlines kept), so that a
// commented-out include does not count. Knows string, character and raw string literals well enough not to see comments in them.
function stripComments(text) {
  let out = '';
  let i = 0;
  const n = text.length;
  while (i < n) {
    const c = text[i];
    const d = text[i + 1];
    if (c === '/' && d === '/') {
      while (i < n && text[i] !== '\n') {
        // A backslash at the end of the line continues a // comment.
        if (text[i] === '\\' && text[i + 1] === '\n') { out += '\n'; i += 2; continue; }
        i++;
      }
    } else if (c === '/' && d === '*') {
      const end = text.indexOf('*/', i + 2);
      const stop = end < 0 ? n : end + 2;
      out += text.slice(i, stop).replace(/[^\n]/g, ' ');
      i = stop;
    } else if (c === 'R' && d === '"' && !/[A-Za-z0-9_]/.test(text[i - 1] ?? '')) {
      const open = text.indexOf('(', i + 2);
      const delimiter = open < 0 ? '' : text.slice(i + 2, open);
      const end = open < 0 ? -1 : text.indexOf(`)${delimiter}"`, open);
      const stop = end < 0 ? n : end + delimiter.length + 2;
      out += text.slice(i, stop).replace(/[^\n]/g, ' '); // its lines are not directives either
      i = stop;
    } else if (c === '"' || (c === "'" && !/[0-9A-Fa-f]/.test(text[i - 1] ?? ''))) {
      // A quote after a hex digit is a digit separator (1'000), not a character literal.
      let j = i + 1;
      while (j < n && text[j] !== c && text[j] !== '\n') j += text[j] === '\\' ? 2 : 1;
      out += text.slice(i, j + 1);
      i = j + 1;
    } else {
      out += c;
      i++;
    }
  }
  return out;
}

// The quoted includes of a file, in order.
function quotedIncludes(text) {
  const includes = [];
  for (const line of stripComments(text).split('\n')) {
    const match = /^\s*#\s*include\s*"([^"]+)"/.exec(line);
    if (match) includes.push(match[1]);
  }
  return includes;
}

// Where a file sits: its layer (null if its folder is not in the table), and its dialect (the
// folder under src/dialects/, or null).
function place(rel) {
  const parts = rel.split('/');
  if (parts.length === 1) return { layer: rel === MAIN_FILE ? 'main' : null, dialect: null };
  const layer = parts[0];
  const dialect = layer === DIALECTS && parts.length > 2 ? parts[1] : null;
  return { layer: layer in LAYERS ? layer : null, dialect };
}

// ---------------------------------------------------------------------------------------------

checkTable();

const args = process.argv.slice(2);
if (args.length > 1 || args.some((a) => a === '-h' || a === '--help')) {
  process.stdout.write('usage: node scripts/check-layers.mjs [source-root]\n');
  process.exit(args.length > 1 ? 2 : 0);
}
const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const root = resolve(args[0] ?? join(repoRoot, 'src'));
if (!existsSync(root) || !statSync(root).isDirectory()) fail(`no source folder at ${root}`);
const shown = (rel) => `src/${rel}`; // how files are named in the report, whatever the root is

const { files: allFiles, dirs } = walk(root);
const sources = allFiles.filter((f) => /\.(cpp|hpp)$/.test(f));
const existing = new Set(allFiles);
const violations = [];

// (c) Every folder directly under src/ must be a layer; every file directly in it must be main.cpp.
for (const dir of dirs) {
  if (!dir.includes('/') && !(dir in LAYERS) && dir !== 'main') {
    violations.push(`${shown(dir)}/: "${dir}" is not a layer in the table of scripts/check-layers.mjs; place it there on purpose`);
  }
}
if (dirs.includes('main')) violations.push(`${shown('main')}/: "main" is the layer of src/${MAIN_FILE} alone, not a folder`);
for (const file of sources) {
  if (!file.includes('/') && file !== MAIN_FILE) {
    violations.push(`${shown(file)}: only ${MAIN_FILE} may sit directly in src/; move it into a layer's folder`);
  }
}

// The includes themselves.
const layerGraph = new Map(); // layer -> Set of layers it includes, as found
const edgeExample = new Map(); // "a b" -> first include that makes a depend on b
for (const file of sources) {
  const from = place(file);
  const seen = new Set();
  for (const include of quotedIncludes(readFileSync(join(root, file), 'utf8'))) {
    if (seen.has(include)) continue;
    seen.add(include);
    const report = (why) => violations.push(`${shown(file)} includes "${include}": ${why}`);
    // As the compiler does: next to the including file first, then from src/ (the include path).
    const candidates = [join(dirname(file), include), include]
      .map((p) => relative(root, resolve(root, p)).split(sep).join('/'))
      .filter((p) => !p.startsWith('..') && !p.startsWith('/'));
    const target = candidates.find((p) => existing.has(p));
    if (target === undefined) { report('no such file under src/'); continue; }
    const to = place(target);
    if (from.layer === null || to.layer === null) continue; // its folder is reported once, above
    if (from.layer !== to.layer) {
      if (!LAYERS[from.layer].includes(to.layer)) report(`${from.layer} may not depend on ${to.layer}`);
      if (!layerGraph.has(from.layer)) layerGraph.set(from.layer, new Set());
      layerGraph.get(from.layer).add(to.layer);
      const key = `${from.layer} ${to.layer}`;
      if (!edgeExample.has(key)) edgeExample.set(key, `${shown(file)} includes "${include}"`);
    }
    // (a) Dialects are plug-ins. Only the registry (directly in src/dialects/) and the dialect
    // itself may include a dialect's folder.
    if (to.dialect !== null && from.dialect !== to.dialect) {
      const isRegistry = from.layer === DIALECTS && from.dialect === null;
      if (from.dialect !== null) {
        report(`dialect ${from.dialect} may not depend on dialect ${to.dialect} (dialects are plug-ins; share code through src/${DIALECTS}/ or a lower layer)`);
      } else if (!isRegistry) {
        report(`only the dialect registry (files directly in src/${DIALECTS}/) may include a dialect's folder`);
      }
    }
  }
}

// Cycles between layers, as the includes connect them. The table is acyclic, so every cycle
// holds at least one edge the table forbids (reported above); for each such edge inside a cycle,
// name the shortest loop it closes, with one include per step: the loop the refactor has to cut.
const cycles = [];
for (const component of cyclicComponents(layerGraph)) {
  const inside = (l) => [...(layerGraph.get(l) ?? [])].filter((t) => component.includes(t)).sort();
  for (const from of component) {
    for (const to of inside(from)) {
      if (LAYERS[from].includes(to)) continue;
      // Shortest way back from `to` to `from`, breadth first.
      const previous = new Map([[to, null]]);
      const queue = [to];
      while (queue.length && !previous.has(from)) {
        const at = queue.shift();
        for (const next of inside(at)) if (!previous.has(next)) { previous.set(next, at); queue.push(next); }
      }
      const back = [];
      for (let at = from; at !== null; at = previous.get(at)) back.unshift(at);
      const loop = [from, ...back];
      const steps = loop.slice(0, -1).map((l, i) => edgeExample.get(`${l} ${loop[i + 1]}`));
      cycles.push(`include cycle between layers: ${loop.join(' -> ')} (${steps.join('; ')})`);
    }
  }
}

if (violations.length === 0 && cycles.length === 0) {
  process.stdout.write(`layers: ${sources.length} files, no violations\n`);
  process.exit(0);
}
for (const line of violations) process.stdout.write(`${line}\n`);
for (const line of cycles) process.stdout.write(`${line}\n`);
const parts = [`${violations.length} violation${violations.length === 1 ? '' : 's'}`];
if (cycles.length) parts.push(`${cycles.length} include cycle${cycles.length === 1 ? '' : 's'} between layers`);
process.stdout.write(`layers: ${sources.length} files, ${parts.join(', ')} (the allowed dependencies are the table at the top of scripts/check-layers.mjs)\n`);
process.exit(1);
