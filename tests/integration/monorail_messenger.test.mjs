// The RackHD web UI's own client against Herald (issue #14 §5): Messenger.js rebuilt as it is
// (tests/lib/monorail_messenger.mjs) and used as the UI uses it — Store.startMessenger's
// connect → watch() with no params on ws://host/nodes, handling item (created, updated) and
// remove; LogsMessenger's mq watch of on.logging with routingKey "#", stopped with the same
// params — and a client written only from the MonoRail spec (handler and params; the resource
// from the connection's path). One node, on the memory bus; changes come from writes through
// /api/resources, as RackHD's database changes would.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { startHerald, publish, within } from '../lib/herald.mjs';
import Messenger from '../lib/monorail_messenger.mjs';
import { writeResource } from '../lib/rackhd.mjs';

// The next `handler` event the messenger emits, bounded.
const next = (messenger, handler) => within(10000, once(messenger, handler), handler).then(([msg]) => msg);

// A Messenger connected as the UI connects one: resolves with it once its session came.
async function connected(channel, node) {
  const messenger = new Messenger(channel, `127.0.0.1:${node.port}`);
  const session = new Promise((resolve) => messenger.connect(resolve));
  // connect() drops listeners added before it; from here on every message is also recorded.
  const received = [];
  messenger.on('message', (msg) => received.push(msg));
  messenger.received = received;
  await within(10000, session, 'the session');
  return messenger;
}

// Handlers are answered in order; watch and stop are not answered at all. A second init (the
// UI never sends one) is answered by a session: once it is, the node has read what came before.
async function barrier(messenger) {
  const answered = next(messenger, 'session');
  messenger.exec('init');
  await answered;
}

describe('the RackHD web UI\'s Messenger against Herald', () => {
  let node;
  let dir;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'herald-messenger-'));
    node = await startHerald({ config: `preset = "rackhd"\n[stores.documents]\nkind = "sqlite"\nfile = "${join(dir, 'documents.sqlite3')}"\n` });
  });
  after(async () => {
    assert.equal((await node.stop()).code, 0);
    rmSync(dir, { recursive: true, force: true });
  });

  test('connects to ws://host/nodes, sends its literal init and gets its session id', async () => {
    const messenger = await connected('nodes', node);
    assert.equal(messenger.url, `ws://127.0.0.1:${node.port}/nodes`);
    assert.match(messenger.id, /^[0-9a-f]{16}$/);
    assert.deepEqual(messenger.received, [{ handler: 'session', id: messenger.id }]);
    messenger.disconnect();
  });

  test('as Store.startMessenger: watch() with no params sees created and updated items and removes', async () => {
    const messenger = await connected('nodes', node);
    messenger.watch();
    await barrier(messenger);
    const id = 'ui-node-1';
    const created = next(messenger, 'item');
    const first = await writeResource(node, 'nodes', id, { name: 'rack-1', type: 'compute' });
    assert.equal(first.status, 201);
    assert.deepEqual(await created, { handler: 'item', resource: 'nodes', id: ['created', id], data: first.body.record });
    const updated = next(messenger, 'item');
    const second = await writeResource(node, 'nodes', id, { name: 'rack-1b', type: 'compute' });
    assert.equal(second.status, 200);
    const item = await updated;
    // What the UI's store reads: id[0] says created or updated, id[1] which, data the record.
    assert.deepEqual([item.id[0], item.id[1], item.data], ['updated', id, { name: 'rack-1b', type: 'compute', id }]);
    const removed = next(messenger, 'remove');
    assert.equal((await writeResource(node, 'nodes', id, undefined, 'DELETE')).status, 200);
    const remove = await removed;
    assert.equal(remove.id, id); // the UI's store removes by msg.id
    assert.deepEqual(remove, { handler: 'remove', resource: 'nodes', id, params: { id }, data: second.body.record });
    messenger.disconnect();
  });

  test('as LogsMessenger: an mq watch of on.logging with routingKey "#" gets each message, and stop with the same params ends it', async () => {
    const logs = await connected('mq', node);
    const params = { exchange: 'on.logging', routingKey: '#' };
    logs.watch(params);
    logs.watch({ exchange: 'on.events', routingKey: '#' }); // as EventsMessenger: the marker's
    await barrier(logs);
    const entry = { level: 'info', message: 'graph started', subject: 'Server', timestamp: '2017-11-24T00:00:00Z' };
    const logged = next(logs, 'item');
    assert.equal((await publish(node, { exchange: 'on.logging', routing_key: 'http.info', event: 'log', payload: entry })).status, 202);
    assert.deepEqual(await logged, { handler: 'item', resource: 'mq', id: 'http.info', data: entry });
    logs.stop(params);
    await barrier(logs);
    const seen = logs.received.length;
    const marker = next(logs, 'item');
    await publish(node, { exchange: 'on.logging', routing_key: 'http.info', event: 'log', payload: { message: 'after stop' } });
    await publish(node, { exchange: 'on.events', routing_key: 'graph.finished', event: 'e', payload: { marker: true } });
    assert.deepEqual(await marker, { handler: 'item', resource: 'mq', id: 'graph.finished', data: { marker: true } });
    assert.deepEqual(logs.received.slice(seen), [{ handler: 'item', resource: 'mq', id: 'graph.finished', data: { marker: true } }]);
    logs.disconnect();
  });

  test('a client written from the spec alone: handler and params, the resource from the path, item.data and remove.params', async () => {
    const ws = new WebSocket(node.wsUrl('/nodes'));
    const queue = [];
    const waiters = [];
    ws.on('message', (data) => {
      queue.push(JSON.parse(data.toString()));
      for (const w of waiters.splice(0)) w();
    });
    const nextMessage = async (what) => {
      while (queue.length === 0) await within(10000, new Promise((resolve) => waiters.push(resolve)), what);
      return queue.shift();
    };
    await within(10000, once(ws, 'open'), 'the WebSocket to open');
    ws.send(JSON.stringify({ handler: 'init' }));
    const session = await nextMessage('session');
    assert.equal(session.handler, 'session');
    assert.equal(typeof session.id, 'string');
    ws.send(JSON.stringify({ handler: 'watch', params: {} }));
    ws.send(JSON.stringify({ handler: 'all' }));
    const list = await nextMessage('list');
    assert.equal(list.handler, 'list');
    assert.ok(Array.isArray(list.items));
    const id = 'spec-node-1';
    assert.equal((await writeResource(node, 'nodes', id, { name: 'spec' })).status, 201);
    const item = await nextMessage('item');
    assert.equal(item.handler, 'item');
    assert.deepEqual(item.data, { name: 'spec', id });
    ws.send(JSON.stringify({ handler: 'get', params: { id } }));
    const got = await nextMessage('the item got');
    assert.deepEqual([got.handler, got.data], ['item', { name: 'spec', id }]);
    assert.equal((await writeResource(node, 'nodes', id, undefined, 'DELETE')).status, 200);
    const remove = await nextMessage('remove');
    assert.deepEqual([remove.handler, remove.params], ['remove', { id }]);
    // Stopped: a change that reaches a watcher on another connection does not reach this one.
    ws.send(JSON.stringify({ handler: 'stop', params: {} }));
    ws.send(JSON.stringify({ handler: 'init' }));
    assert.equal((await nextMessage('the second session')).handler, 'session');
    const witness = await connected('nodes', node);
    witness.watch();
    await barrier(witness);
    const seen = next(witness, 'item');
    assert.equal((await writeResource(node, 'nodes', 'spec-node-2', { name: 'unseen' })).status, 201);
    assert.deepEqual((await seen).id, ['created', 'spec-node-2']);
    ws.send(JSON.stringify({ handler: 'init' }));
    assert.equal((await nextMessage('the third session')).handler, 'session');
    witness.disconnect();
    ws.close();
    await once(ws, 'close');
  });
});
