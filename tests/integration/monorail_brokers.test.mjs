// MonoRail on the brokers (issue #14 §1, §3): two nodes on RabbitMQ and on Redis, fed as RackHD
// feeds on-wss (on-core's publishes on the Waterline exchange, messages on its other topic
// exchanges), watched through /nodes and /mq; a write through one node's /api/resources reaching a
// watcher on the other, once; the exchanges declared as RackHD declares them, in either order; and
// a watch that outlives a Redis restart. One node on the memory bus: monorail.test.mjs.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectJson, eventually } from '../lib/herald.mjs';
import { buses, uniqueName, startNodes, shareBroker, takeBroker, readyz, waitReady, rabbitmqctl, brokersDir } from '../lib/cluster.mjs';
import { restartRedis, stopRedis, startRedis } from '../lib/brokers.mjs';
import { rackhdPublisher, publishChange, settleWatch, upTo, writeResource } from '../lib/rackhd.mjs';

const connect = (node, path) => connectJson(node, path, { nameKey: 'handler' });

// RackHD's resources (preset = "rackhd") on a document file of the test's own, and exchanges of
// the test's own in place of on.waterline and the allowed ones (the broker outlives the run).
function setup() {
  const dir = mkdtempSync(join(tmpdir(), 'herald-monorail-brokers-'));
  const exchanges = { waterline: uniqueName('waterline'), events: uniqueName('events'), logging: uniqueName('logging') };
  const config = `preset = "rackhd"
[stores.documents]
kind = "sqlite"
file = "${join(dir, 'documents.sqlite3')}"
[monorail]
waterline_exchange = "${exchanges.waterline}"
watch_exchanges = ["${exchanges.events}", "${exchanges.logging}"]
`;
  return { dir, exchanges, config };
}

const watchMq = (client, exchange, routingKey = '#') =>
  client.sendJson({ handler: 'watch', params: { exchange, routingKey } });

// A request the node answers, sent after others: once answered, the node has read those before.
async function barrier(client) {
  client.sendRaw('{"handler": "init"}');
  await client.next('session');
}

for (const bus of buses) {
  describe(`MonoRail on two nodes on the ${bus.name} bus`, { skip: bus.skip }, () => {
    const { dir, exchanges, config } = setup();
    let release;
    let nodes;
    let rackhd;
    before(async () => {
      release = await shareBroker(bus, `monorail_brokers.test.mjs (${bus.name})`);
      rackhd = await rackhdPublisher(bus);
      // RackHD first: on-core declares the Waterline exchange before Herald ever starts.
      await rackhd.declare(exchanges.waterline);
      nodes = await startNodes(bus, { count: 2, config });
    });
    after(async () => {
      const results = await Promise.all((nodes ?? []).map((n) => n.stop()));
      for (const name of Object.values(exchanges)) await rackhd?.remove(name);
      await rackhd?.close();
      release?.();
      rmSync(dir, { recursive: true, force: true });
      for (const r of results) assert.equal(r.code, 0);
    });

    const probeChange = (name) => publishChange(rackhd, exchanges.waterline, 'nodes', 'created', { id: name });
    const probeMq = (exchange) => (name) => rackhd.publish(exchange, name, { probe: name });

    test('a change published as on-core does reaches a watcher of /nodes on each node: created and updated as item, destroyed as remove', async () => {
      const clients = [await connect(nodes[0], '/nodes'), await connect(nodes[1], '/nodes')];
      for (const client of clients) client.sendRaw('{"handler":"watch"}');
      await settleWatch(clients, probeChange, '/nodes');
      const record = { id: uniqueName('node'), name: 'compute-1', type: 'compute', obms: [{ service: 'ipmi-obm-service' }] };
      await publishChange(rackhd, exchanges.waterline, 'nodes', 'created', record);
      const updated = { ...record, name: 'compute-1b' };
      await publishChange(rackhd, exchanges.waterline, 'nodes', 'updated', updated);
      await publishChange(rackhd, exchanges.waterline, 'nodes', 'destroyed', updated);
      for (const client of clients) {
        assert.deepEqual(await client.next(), { handler: 'item', resource: 'nodes', id: ['created', record.id], data: record });
        assert.deepEqual(await client.next(), { handler: 'item', resource: 'nodes', id: ['updated', record.id], data: updated });
        assert.deepEqual(await client.next(),
          { handler: 'remove', resource: 'nodes', id: record.id, params: { id: record.id }, data: updated });
      }
      await Promise.all(clients.map((c) => c.close()));
    });

    test('a change of another identity on the Waterline exchange does not reach a watcher of /nodes', async () => {
      const client = await connect(nodes[0], '/nodes');
      client.sendJson({ handler: 'watch' });
      await settleWatch([client], probeChange, '/nodes');
      await publishChange(rackhd, exchanges.waterline, 'skus', 'created', { id: 'sku-1' });
      const marker = { id: uniqueName('marker') };
      await publishChange(rackhd, exchanges.waterline, 'nodes', 'created', marker);
      assert.deepEqual(await upTo(client, (m) => m.id?.[1] === marker.id, 'the marker'), []);
      await client.close();
    });

    test('an mq watch of an allowed exchange gets each message as item, its routing key as id and its body as data', async () => {
      const client = await connect(nodes[1], '/mq');
      watchMq(client, exchanges.events);
      await settleWatch([client], probeMq(exchanges.events), 'the events exchange');
      const body = { type: 'graph', action: 'finished', nodeId: '5a1', data: { status: 'succeeded' } };
      await rackhd.publish(exchanges.events, 'graph.finished.5a1', body);
      assert.deepEqual(await client.next(), { handler: 'item', resource: 'mq', id: 'graph.finished.5a1', data: body });
      await client.close();
    });

    test('an mq watch of an exchange not in the list gets exchange_not_allowed, in on-core\'s words', async () => {
      const client = await connect(nodes[0], '/mq');
      watchMq(client, 'on.not-listed');
      assert.deepEqual(await client.next(), {
        handler: 'error', resource: 'mq',
        params: { error: 'exchange_not_allowed', message: 'Invalid Exchange Specified for Subscription (on.not-listed)' },
      });
      await client.close();
    });

    test('watching twice delivers once, and stop with the same params ends the watch', async () => {
      const client = await connect(nodes[1], '/mq');
      watchMq(client, exchanges.events);
      watchMq(client, exchanges.events);
      watchMq(client, exchanges.logging); // the markers' exchange, watched throughout
      await settleWatch([client], probeMq(exchanges.events), 'the events exchange');
      await settleWatch([client], probeMq(exchanges.logging), 'the logging exchange');
      const isMarker = (name) => (m) => m.id === name;
      await rackhd.publish(exchanges.events, 'once', { n: 1 });
      await rackhd.publish(exchanges.logging, 'marker-1', {});
      assert.deepEqual(await upTo(client, isMarker('marker-1'), 'the first marker'),
        [{ handler: 'item', resource: 'mq', id: 'once', data: { n: 1 } }]);
      client.sendJson({ handler: 'stop', params: { exchange: exchanges.events, routingKey: '#' } });
      await barrier(client);
      await rackhd.publish(exchanges.events, 'after-stop', { n: 2 });
      await rackhd.publish(exchanges.logging, 'marker-2', {});
      assert.deepEqual(await upTo(client, isMarker('marker-2'), 'the second marker'), []);
      await client.close();
    });

    test('a write through node 1\'s /api/resources reaches a watcher on node 2 once, and its delete as remove', async () => {
      const client = await connect(nodes[1], '/nodes');
      client.sendJson({ handler: 'watch' });
      await settleWatch([client], probeChange, '/nodes');
      const id = uniqueName('written');
      const created = await writeResource(nodes[0], 'nodes', id, { name: 'written', obm: { port: 623 } });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      const record = created.body.record;
      assert.deepEqual(record, { name: 'written', obm: { port: 623 }, id });
      const marker = { id: uniqueName('marker') };
      await publishChange(rackhd, exchanges.waterline, 'nodes', 'created', marker);
      assert.deepEqual(await upTo(client, (m) => m.id?.[1] === marker.id, 'the marker'),
        [{ handler: 'item', resource: 'nodes', id: ['created', id], data: record }]);
      assert.equal((await writeResource(nodes[0], 'nodes', id, undefined, 'DELETE')).status, 200);
      assert.deepEqual(await client.next(), { handler: 'remove', resource: 'nodes', id, params: { id }, data: record });
      await client.close();
    });

    if (bus.name === 'amqp') {
      test('the exchanges are declared as RackHD declares them, topic and durable: RackHD may declare them before or after Herald', async () => {
        // Before: the Waterline exchange (in before()); the nodes started on it and are ready.
        for (const node of nodes) assert.equal((await readyz(node)).status, 200);
        // After: on-core's declaration of those Herald declared succeeds (a different one is a
        // 406 that closes the channel, and the next publish would fail).
        await rackhd.declare(exchanges.events);
        await rackhd.declare(exchanges.logging);
        await rackhd.publish(exchanges.events, 'declared.after', {});
        if (brokersDir()) {
          const rows = await rabbitmqctl('list_exchanges', 'name', 'type', 'durable', 'auto_delete');
          const ours = rows.filter(([name]) => Object.values(exchanges).includes(name)).sort();
          assert.deepEqual(ours, Object.values(exchanges).sort().map((name) => [name, 'topic', 'true', 'false']));
        }
      });
    }
  });
}

const redis = buses.find((b) => b.name === 'redis');
describe('a MonoRail watch on the redis bus', { skip: redis.skip || (!process.env.HERALD_TEST_BROKERS_DIR && 'HERALD_TEST_BROKERS_DIR is not set: the test restarts redis') }, () => {
  const { dir, exchanges, config } = setup();
  let release;
  let node;
  before(async () => {
    release = await takeBroker(redis, 'monorail_brokers.test.mjs (a redis restart)');
    [node] = await startNodes(redis, { count: 1, config });
  });
  after(async () => {
    const result = await node?.stop();
    release?.();
    rmSync(dir, { recursive: true, force: true });
    assert.equal(result?.code, 0);
  });

  test('a write while redis is away is refused, 503 bus_not_ready, and writes nothing: its change would reach no watcher', async () => {
    const id = uniqueName('unwritten');
    await stopRedis();
    try {
      await eventually(async () => (await readyz(node)).status === 503, 'the node notices redis is gone');
      const refused = await writeResource(node, 'nodes', id, { name: 'lost' });
      assert.deepEqual([refused.status, refused.body.error], [503, 'bus_not_ready']);
    } finally {
      await startRedis();
    }
    await waitReady(node);
    const client = await connect(node, '/nodes');
    client.sendJson({ handler: 'get', params: { id } });
    assert.deepEqual(await client.next(), { handler: 'remove', resource: 'nodes', params: { id } });
    await client.close();
  });

  test('resumes after redis restarts: what is published once it is back reaches the watcher', async () => {
    const nodesClient = await connect(node, '/nodes');
    nodesClient.sendJson({ handler: 'watch' });
    const mqClient = await connect(node, '/mq');
    watchMq(mqClient, exchanges.events);
    let rackhd = await rackhdPublisher(redis);
    await settleWatch([mqClient], (name) => rackhd.publish(exchanges.events, name, {}), 'the events exchange');
    await settleWatch([nodesClient], (name) => publishChange(rackhd, exchanges.waterline, 'nodes', 'created', { id: name }), '/nodes');
    await rackhd.close().catch(() => {});
    await restartRedis();
    rackhd = await rackhdPublisher(redis);
    try {
      // The node notices, reconnects and subscribes again: until then what is published is lost.
      await settleWatch([mqClient], (name) => rackhd.publish(exchanges.events, name, {}), 'the events exchange after the restart');
      await settleWatch([nodesClient], (name) => publishChange(rackhd, exchanges.waterline, 'nodes', 'created', { id: name }), '/nodes after the restart');
      await rackhd.publish(exchanges.events, 'after.restart', { back: true });
      assert.deepEqual(await mqClient.next(), { handler: 'item', resource: 'mq', id: 'after.restart', data: { back: true } });
      const record = { id: uniqueName('node'), name: 'after-restart' };
      await publishChange(rackhd, exchanges.waterline, 'nodes', 'created', record);
      assert.deepEqual(await nodesClient.next(), { handler: 'item', resource: 'nodes', id: ['created', record.id], data: record });
    } finally {
      await rackhd.close();
    }
    await Promise.all([nodesClient.close(), mqClient.close()]);
  });
});
