// The example back ends of examples/, run as they are against real Herald nodes: over HTTP
// (examples/python/http_backend.py), and over RabbitMQ with two nodes and two competing
// workers (examples/python/pika_worker.py with Debian's pika, examples/node/amqplib_worker.mjs).
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import WebSocket from 'ws';
import { startHerald, connectMyxi, publish, within } from '../lib/herald.mjs';
import { buses, uniqueName, startNodes, shareBroker } from '../lib/cluster.mjs';

const python = '/usr/bin/python3';
const examples = new URL('../../examples/', import.meta.url).pathname;

// Runs an example program until it prints `ready` (a regular expression); resolves with the
// match and a stop().
async function run(command, args, ready) {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const match = await within(15000, new Promise((resolve, reject) => {
    const look = (chunk) => {
      output += chunk;
      const m = ready.exec(output);
      if (m) resolve(m);
    };
    child.stdout.on('data', look);
    child.stderr.on('data', (chunk) => { output += chunk; });
    child.on('exit', (code) => reject(new Error(`${args[0]} exited (${code}):\n${output}`)));
  }), `${args[0]} to start`);
  return {
    match,
    stop: () => new Promise((resolve) => {
      if (child.exitCode !== null) { resolve(); return; }
      child.on('exit', resolve);
      child.kill('SIGTERM');
    }),
  };
}

// The example configuration, with the back end where the test put it.
function exampleConfig(backendLines, extra = '') {
  return readFileSync(`${examples}python/config.toml`, 'utf8')
    .replace('url = "http://127.0.0.1:8000/herald"', backendLines)
    .replace(/^port = .*$/m, '') + extra;
}

// What every transport must do for the example application, on `node`.
async function myxiScenario(node) {
  const client = await connectMyxi(node);
  assert.equal((await client.request('Authenticate', { token: 'nope' })).payload.detail, 'unknown token');
  assert.deepEqual((await client.request('Authenticate', { token: 'token-alice' })).payload, { identity: 'alice' });
  assert.equal((await client.request('Subscribe', { exchange: 'accounts', routing_key: 'bob' })).payload.error, 'SubscriptionDenied');
  const tag = client.send('GetBalance', {});
  assert.deepEqual((await client.next((m) => m.tag === tag && m.event === 'Balance')).payload, { user: 'alice', balance: 120.5 });
  assert.deepEqual((await client.next('Subscribed')).payload, { exchange: 'accounts', routing_key: 'alice' });
  await publish(node, { exchange: 'accounts', routing_key: 'alice', event: 'Paid', payload: { amount: 3 } });
  assert.deepEqual((await client.next('Paid')).payload, { amount: 3 });
  await client.close();
}

async function pipedScenario(node) {
  const refused = await new Promise((resolve) => {
    const ws = new WebSocket(node.wsUrl('/api/stolen'));
    ws.on('unexpected-response', (req, res) => resolve(res.statusCode));
    ws.on('open', () => resolve('open'));
  });
  assert.equal(refused, 403);
  const ws = new WebSocket(node.wsUrl('/api/token-bob'));
  const messages = [];
  let wake;
  ws.on('message', (data) => { messages.push(JSON.parse(data.toString())); wake?.(); });
  await within(5000, new Promise((resolve) => ws.once('open', resolve)), 'open');
  const next = async () => {
    while (!messages.length) await within(5000, new Promise((resolve) => { wake = resolve; }), 'a message');
    return messages.shift();
  };
  ws.send(JSON.stringify({ id: 1, method: 'get-article', payload: { articleId: 2 } }));
  assert.deepEqual(await next(), { id: 1, type: 'result', method: 'get-article', payload: { articleId: 2, title: 'Piped, unchanged' } });
  ws.send(JSON.stringify({ method: 'sum', payload: { numbers: [1, 2, 3] } }));
  assert.deepEqual(await next(), { type: 'result', method: 'sum', payload: { sum: 6 } });
  ws.close();
}

describe('the Python example over HTTP', () => {
  let backend;
  let node;
  before(async () => {
    backend = await run(python, [`${examples}python/http_backend.py`, '0'], /listening on (http:\/\/\S+)/);
    node = await startHerald({ config: exampleConfig(`url = "${backend.match[1]}"`) });
  });
  after(async () => {
    assert.equal((await node.stop()).code, 0);
    await backend.stop();
  });
  test('authenticates, decides subscriptions and answers GetBalance', () => myxiScenario(node));
  test('checks Piped tokens before the upgrade and answers methods', () => pipedScenario(node));
});

const amqp = buses.find((bus) => bus.name === 'amqp');
describe('the Python (pika) and Node (amqplib) examples over RabbitMQ, two nodes', { skip: amqp.skip }, () => {
  const queue = uniqueName('example-requests');
  let release;
  let workers = [];
  let nodes = [];
  before(async () => {
    release = await shareBroker(amqp, 'examples.test.mjs');
    workers = [
      await run(python, [`${examples}python/pika_worker.py`, amqp.url, queue], /consuming/),
      await run(process.execPath, [`${examples}node/amqplib_worker.mjs`, amqp.url, queue], /consuming/),
    ];
    nodes = await startNodes(amqp, { count: 2, config: exampleConfig(`queue = "${queue}"`) });
  });
  after(async () => {
    const results = await Promise.all(nodes.map((node) => node.stop()));
    await Promise.all(workers.map((w) => w.stop()));
    release?.();
    for (const result of results) assert.equal(result.code, 0);
  });
  test('each node authenticates, decides subscriptions and answers GetBalance', async () => {
    for (const node of nodes) {
      for (let round = 0; round < 3; round++) await myxiScenario(node); // either worker may answer
    }
  });
  test('each node checks Piped tokens and answers methods', async () => {
    for (const node of nodes) await pipedScenario(node);
  });
});
