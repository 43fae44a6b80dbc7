// The MonoRail dialect on one node (embedded bus): a connection per resource, init/query/all/get
// answered from the embedded SQLite store and from the back end, watches fed by writes through
// /api/resources and by events on RackHD's exchanges, and the documented errors where on-wss
// stayed silent. Brokers and several nodes: monorail_brokers.test.mjs.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startHerald, connectJson, publish } from '../lib/herald.mjs';
import { startHttpBackend } from '../lib/http_backend.mjs';

const connect = (node, path = '/nodes') => connectJson(node, path, { nameKey: 'handler' });

// PUT/DELETE /api/resources/{resource}/{id}: { status, body }.
async function write(node, resource, id, document, { method = 'PUT', key = 'test-key' } = {}) {
  const response = await fetch(node.url(`/api/resources/${resource}/${encodeURIComponent(id)}`), {
    method,
    headers: { 'content-type': 'application/json', ...(key ? { authorization: `Bearer ${key}` } : {}) },
    body: document === undefined ? undefined : (typeof document === 'string' ? document : JSON.stringify(document)),
  });
  return { status: response.status, body: await response.json() };
}

// The client's next reply; replies carry no request id (the spec has no continuations), so each
// test waits for the one handler its request is answered with.
const reply = (client, handler) => client.next(handler, handler);

describe('the MonoRail dialect on one node', () => {
  let node;
  let backend;
  let dir;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'herald-monorail-'));
    backend = await startHttpBackend((r) => {
      if (r.kind !== 'monorail') return {};
      if (r.handler === 'get') return { payload: r.params.id === 'w1' ? { id: 'w1', state: 'running' } : null };
      if (r.params.fail) return { error: 'the database is down' };
      return { payload: [{ id: 'w1', state: 'running' }, { id: 'w2', state: 'done' }, { id: 'w3', state: 'done' }] };
    });
    node = await startHerald({
      config: `preset = "rackhd"
[backend]
url = "${backend.url}"
[stores.documents]
kind = "sqlite"
file = "${join(dir, 'documents.sqlite3')}"
[stores.lost]
kind = "sqlite"
file = "/nonexistent-herald-dir/x.sqlite3"
[monorail]
max_list = 3
watch_exchanges = ["on.events", "on.logging"]
[[resources]]
name = "nodes"
[[resources]]
name = "skus"
[[resources]]
name = "pollers"
identity = "workitems"
[[resources]]
name = "workflows"
store = "backend"
[[resources]]
name = "broken"
store = "lost"
`,
    });
    for (const [id, doc] of [['n1', { name: 'alpha', obm: { port: 623 }, tags: ['compute'] }],
      ['n2', { name: 'beta', obm: { port: 624 }, tags: [] }]]) {
      assert.equal((await write(node, 'nodes', id, doc)).status, 201);
    }
  });
  after(async () => {
    assert.equal((await node.stop()).code, 0);
    await backend.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('init answers a session with the connection\'s cluster-wide id, as Messenger.js sends it', async () => {
    const client = await connect(node);
    client.sendRaw('{"handler": "init"}');
    const session = await reply(client, 'session');
    assert.match(session.id, /^[0-9a-f]{16}$/);
    await client.close();
  });

  test('query finds by equality on dotted paths, all lists everything, and the path names the resource', async () => {
    const client = await connect(node);
    client.sendJson({ handler: 'query', params: { 'obm.port': 624 } });
    assert.deepEqual(await reply(client, 'list'),
      { handler: 'list', resource: 'nodes', items: [{ name: 'beta', obm: { port: 624 }, tags: [], id: 'n2' }] });
    client.sendJson({ handler: 'all' });
    const all = await reply(client, 'list');
    assert.deepEqual(all.items.map((n) => n.id), ['n1', 'n2']);
    assert.equal(all.truncated, undefined);
    await client.close();
  });

  test('a message\'s own resource (on-wss) or type (the spec) overrides the path', async () => {
    assert.equal((await write(node, 'skus', 's1', { name: 'sku-1' })).status, 201);
    const client = await connect(node, '/anything');
    client.sendJson({ handler: 'all', resource: 'skus' });
    assert.deepEqual(await reply(client, 'list'), { handler: 'list', resource: 'skus', items: [{ name: 'sku-1', id: 's1' }] });
    client.sendJson({ handler: 'get', type: 'skus', params: { id: 's1' } });
    const item = await reply(client, 'item');
    assert.equal(item.resource, 'skus');
    await client.close();
  });

  test('get answers item with the record in data (the spec) and in id (on-wss), or remove when nothing matches', async () => {
    const client = await connect(node);
    client.sendJson({ handler: 'get', params: { id: 'n1' } });
    const record = { name: 'alpha', obm: { port: 623 }, tags: ['compute'], id: 'n1' };
    assert.deepEqual(await reply(client, 'item'), { handler: 'item', resource: 'nodes', id: record, data: record });
    client.sendJson({ handler: 'get', params: { id: 'missing' } });
    assert.deepEqual(await reply(client, 'remove'), { handler: 'remove', resource: 'nodes', params: { id: 'missing' } });
    await client.close();
  });

  test('a list longer than max_list is cut and says so', async () => {
    for (const id of ['b1', 'b2', 'b3', 'b4']) await write(node, 'skus', id, { bulk: true });
    const client = await connect(node, '/skus');
    client.sendJson({ handler: 'query', params: { bulk: true } });
    const list = await reply(client, 'list');
    assert.equal(list.items.length, 3);
    assert.equal(list.truncated, true);
    await client.close();
  });

  test('a watch gets each write through the API as item with [event, id] and each delete as remove, once however often it was asked for', async () => {
    const watcher = await connect(node);
    watcher.sendJson({ handler: 'watch' });
    watcher.sendJson({ handler: 'watch' });
    watcher.sendJson({ handler: 'init' }); // answered after both watches took effect
    await reply(watcher, 'session');
    assert.equal((await write(node, 'nodes', 'n3', { name: 'gamma' })).status, 201);
    assert.deepEqual(await reply(watcher, 'item'),
      { handler: 'item', resource: 'nodes', id: ['created', 'n3'], data: { name: 'gamma', id: 'n3' } });
    assert.equal((await write(node, 'nodes', 'n3', { name: 'gamma2' })).status, 200);
    assert.deepEqual((await reply(watcher, 'item')).id, ['updated', 'n3']);
    assert.deepEqual((await write(node, 'nodes', 'n3', undefined, { method: 'DELETE' })).body,
      { event: 'destroyed', record: { name: 'gamma2', id: 'n3' } });
    assert.deepEqual(await reply(watcher, 'remove'),
      { handler: 'remove', resource: 'nodes', id: 'n3', params: { id: 'n3' }, data: { name: 'gamma2', id: 'n3' } });
    // Nothing came twice: the next message is the answer to this init.
    watcher.sendJson({ handler: 'init' });
    assert.equal((await watcher.next(() => true)).handler, 'session');
    await watcher.close();
  });

  test('stop with the same params ends a watch; a watch of one id sees only that document', async () => {
    const client = await connect(node);
    client.sendJson({ handler: 'watch', params: { id: 'n1' } });
    client.sendJson({ handler: 'watch' });
    client.sendJson({ handler: 'stop' });
    client.sendJson({ handler: 'init' });
    await reply(client, 'session');
    await write(node, 'nodes', 'n2', { name: 'beta', obm: { port: 624 }, tags: [] });
    await write(node, 'nodes', 'n1', { name: 'alpha', obm: { port: 623 }, tags: ['compute'] });
    const seen = await reply(client, 'item');
    assert.deepEqual(seen.id, ['updated', 'n1']);
    client.sendJson({ handler: 'init' });
    assert.equal((await client.next(() => true)).handler, 'session'); // n2's change never came
    await client.close();
  });

  test('a resource whose identity differs from its name is watched by the identity and named by the resource', async () => {
    const client = await connect(node, '/pollers');
    client.sendJson({ handler: 'watch' });
    client.sendJson({ handler: 'init' });
    await reply(client, 'session');
    assert.equal((await write(node, 'pollers', 'p9', { node: 'n1' })).status, 201);
    assert.deepEqual(await reply(client, 'item'),
      { handler: 'item', resource: 'pollers', id: ['created', 'p9'], data: { node: 'n1', id: 'p9' } });
    // An event published to on.waterline through Herald's own API is a change too: its payload
    // is the record.
    assert.equal((await publish(node, { exchange: 'on.waterline', routing_key: 'workitems.updated.p9', event: 'x', payload: { node: 'n2' } })).status, 202);
    assert.deepEqual(await reply(client, 'item'),
      { handler: 'item', resource: 'pollers', id: ['updated', 'p9'], data: { node: 'n2' } });
    await client.close();
  });

  test('the mq resource watches an allowed exchange by routing key and refuses the others', async () => {
    const client = await connect(node, '/mq');
    client.sendJson({ handler: 'watch', params: { exchange: 'on.events', routingKey: 'graph.#' } });
    client.sendJson({ handler: 'watch', params: { exchange: 'amq.topic', routingKey: '#' } });
    assert.deepEqual(await reply(client, 'error'), {
      handler: 'error', resource: 'mq',
      params: { error: 'exchange_not_allowed', message: 'Invalid Exchange Specified for Subscription (amq.topic)' },
    });
    await publish(node, { exchange: 'on.events', routing_key: 'other.thing', event: 'x', payload: { skip: true } });
    await publish(node, { exchange: 'on.events', routing_key: 'graph.finished', event: 'x', payload: { graphId: 'g1' } });
    assert.deepEqual(await reply(client, 'item'), { handler: 'item', resource: 'mq', id: 'graph.finished', data: { graphId: 'g1' } });
    client.sendJson({ handler: 'get', params: { id: 'x' } });
    assert.equal((await reply(client, 'error')).params.error, 'unsupported');
    await client.close();
  });

  test('a resource of the back end is answered through the back end\'s contract', async () => {
    const client = await connect(node, '/workflows');
    client.sendJson({ handler: 'query', params: { state: 'running' } });
    const list = await reply(client, 'list');
    assert.deepEqual(list, { handler: 'list', resource: 'workflows', items: [{ id: 'w1', state: 'running' }, { id: 'w2', state: 'done' }, { id: 'w3', state: 'done' }] });
    const asked = backend.requests.find((r) => r.kind === 'monorail' && r.handler === 'query');
    assert.deepEqual(asked.params, { state: 'running' });
    assert.equal(asked.resource, 'workflows');
    client.sendJson({ handler: 'get', params: { id: 'w9' } });
    assert.equal((await reply(client, 'remove')).params.id, 'w9');
    client.sendJson({ handler: 'query', params: { fail: true } });
    assert.deepEqual((await reply(client, 'error')).params, { error: 'backend_failed', message: 'the database is down' });
    await client.close();
  });

  test('replies to requests one store answers come in the order asked, found or not', async () => {
    for (const id of ['o1', 'o2', 'o3']) assert.equal((await write(node, 'nodes', id, { order: id })).status, 201);
    const client = await connect(node);
    const asked = ['o1', 'gone1', 'o2', 'gone2', 'o3', 'gone3', 'o1'];
    for (const id of asked) client.sendJson({ handler: 'get', params: { id } });
    const answered = [];
    for (let i = 0; i < asked.length; i++) {
      const m = await client.next(() => true, `reply ${i + 1}`);
      answered.push(m.handler === 'item' ? m.data.id : m.params.id);
    }
    assert.deepEqual(answered, asked);
    await client.close();
  });

  test('bad input gets a documented error and the connection goes on', async () => {
    const client = await connect(node);
    const errors = [];
    const expect = async (send, error) => {
      send();
      const e = await reply(client, 'error');
      errors.push(e.params.error);
      assert.equal(e.params.error, error, JSON.stringify(e));
    };
    await expect(() => client.sendRaw('{"handler":'), 'invalid_json');
    await expect(() => client.sendRaw('[1,2]'), 'invalid_message');
    await expect(() => client.sendJson({ params: {} }), 'invalid_message');
    await expect(() => client.sendJson({ handler: 'explode' }), 'unknown_handler');
    await expect(() => client.sendJson({ handler: 'all', resource: 'nope' }), 'unknown_resource');
    await expect(() => client.sendJson({ handler: 'query', params: { 'a..b': 1 } }), 'invalid_params');
    await expect(() => client.sendJson({ handler: 'query', params: [1] }), 'invalid_params');
    await expect(() => client.sendJson({ handler: 'watch', params: { id: 'a.#' } }), 'invalid_params');
    await expect(() => client.sendJson({ handler: 'watch', resource: 'mq', params: { routingKey: '#' } }), 'invalid_params');
    await expect(() => client.ws.send(Buffer.from([1, 2, 3])), 'invalid_message');
    client.sendJson({ handler: 'init' });
    await reply(client, 'session');
    await client.close();
  });

  test('a store that is down answers store_unavailable, and other resources are not affected', async () => {
    const client = await connect(node, '/broken');
    client.sendJson({ handler: 'all' });
    assert.equal((await reply(client, 'error')).params.error, 'store_unavailable');
    client.sendJson({ handler: 'all', resource: 'nodes' });
    assert.equal((await reply(client, 'list')).resource, 'nodes');
    await client.close();
  });

  test('the resources API refuses what it cannot store, with a JSON error', async () => {
    assert.equal((await write(node, 'nodes', 'x', { a: 1 }, { key: null })).status, 401);
    assert.deepEqual((await write(node, 'nodes', 'x', '{"a":')).body.error, 'invalid_json');
    assert.deepEqual((await write(node, 'nodes', 'x', '[1]')).body.error, 'invalid_document');
    assert.deepEqual((await write(node, 'nope', 'x', {})).body.error, 'unknown_resource');
    assert.deepEqual((await write(node, 'nodes', 'a.b', {})).body.error, 'invalid_id');
    assert.deepEqual((await write(node, 'workflows', 'x', {})).body.error, 'read_only_resource');
    assert.deepEqual((await write(node, 'nodes', 'never', undefined, { method: 'DELETE' })).status, 404);
    const get = await fetch(node.url('/api/resources/nodes/n1'));
    assert.equal(get.status, 405);
  });
});

describe('MonoRail configuration', () => {
  test('a resource on a store that is not declared stops the node with one line naming the key', async () => {
    const failing = startHerald({ config: 'preset = "rackhd"\n[[resources]]\nname = "x"\nstore = "nowhere"\n' });
    await assert.rejects(failing, /resources\[0\]\.store: no \[stores\.nowhere\]/);
  });
  test('an unknown kind of store is refused at start', async () => {
    const failing = startHerald({ config: 'preset = "rackhd"\n[stores.documents]\nkind = "oracle"\n' });
    await assert.rejects(failing, /stores\.documents\.kind: unknown kind of store/);
  });
});

describe('the embedded document store', () => {
  test('keeps every write the API answered when the node is killed with SIGKILL', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'herald-monorail-kill-'));
    const config = `preset = "rackhd"\n[stores.documents]\nkind = "sqlite"\nfile = "${join(dir, 'documents.sqlite3')}"\n`;
    try {
      const doomed = await startHerald({ config });
      for (let i = 0; i < 20; i++) assert.equal((await write(doomed, 'nodes', `k${i}`, { i })).status, 201);
      await doomed.stop('SIGKILL');
      const node = await startHerald({ config });
      const client = await connect(node);
      client.sendJson({ handler: 'all' });
      const list = await reply(client, 'list');
      assert.deepEqual(list.items.map((d) => d.id).sort(), Array.from({ length: 20 }, (_, i) => `k${i}`).sort());
      await client.close();
      assert.equal((await node.stop()).code, 0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('stores without a MonoRail endpoint', () => {
  test('are checked at start but never made: the node runs without them', async () => {
    const failing = startHerald({ config: '[stores.x]\nkind = "oracle"\n' });
    await assert.rejects(failing, /stores\.x\.kind: unknown kind of store/);
    const node = await startHerald({ config: '[stores.pg]\nkind = "postgres"\nurl = "postgresql://127.0.0.1:1/none"\n' });
    assert.equal((await fetch(node.url('/healthz'))).status, 200);
    assert.equal((await node.stop()).code, 0);
  });
});
