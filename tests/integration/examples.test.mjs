// The example back ends of examples/, run as they are against real Herald nodes.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import WebSocket from 'ws';
import { startHerald, connectMyxi, publish, within } from '../lib/herald.mjs';

const python = '/usr/bin/python3';
const example = new URL('../../examples/http_backend/', import.meta.url).pathname;

// Starts examples/http_backend/backend.py on a free port; resolves with its URL.
async function startExampleBackend() {
  const child = spawn(python, [`${example}backend.py`, '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const url = await within(10000, new Promise((resolve, reject) => {
    child.stdout.on('data', (chunk) => {
      output += chunk;
      const match = /listening on (http:\/\/\S+)/.exec(output);
      if (match) resolve(match[1]);
    });
    child.on('exit', (code) => reject(new Error(`backend.py exited (${code})`)));
  }), 'the example back end to listen');
  return {
    url,
    stop: () => new Promise((resolve) => { child.on('exit', resolve); child.kill('SIGTERM'); }),
  };
}

let backend;
let node;
before(async () => {
  backend = await startExampleBackend();
  // The example's own config, pointed at the back end's port and a free port of ours.
  const config = readFileSync(`${example}config.toml`, 'utf8')
    .replace('http://127.0.0.1:8000/herald', backend.url)
    .replace(/^port = .*$/m, '');
  node = await startHerald({ config });
});
after(async () => {
  assert.equal((await node.stop()).code, 0);
  await backend.stop();
});

test('the HTTP example authenticates, decides subscriptions and answers GetBalance', async () => {
  const client = await connectMyxi(node);
  assert.deepEqual((await client.request('Authenticate', { token: 'nope' })).payload.detail, 'unknown token');
  assert.deepEqual((await client.request('Authenticate', { token: 'token-alice' })).payload, { identity: 'alice' });
  assert.equal((await client.request('Subscribe', { exchange: 'accounts', routing_key: 'bob' })).payload.error, 'SubscriptionDenied');
  const tag = client.send('GetBalance', {});
  assert.deepEqual((await client.next((m) => m.tag === tag && m.event === 'Balance')).payload, { user: 'alice', balance: 120.5 });
  assert.deepEqual((await client.next('Subscribed')).payload, { exchange: 'accounts', routing_key: 'alice' });
  await publish(node, { exchange: 'accounts', routing_key: 'alice', event: 'Paid', payload: { amount: 3 } });
  assert.deepEqual((await client.next('Paid')).payload, { amount: 3 });
  await client.close();
});

test('the HTTP example checks Piped tokens before the upgrade and answers methods', async () => {
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
});
