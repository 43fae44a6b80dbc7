// The broker goes away under two nodes, once per bus, and comes back (scripts/brokers: redis is
// killed, RabbitMQ is shut down, once in this file since it takes about 15 s to boot): the nodes
// say why they are not ready, refuse publishes at once, keep their WebSocket clients, log each
// change of state once, and resume with their clients' subscriptions when it is back. A node
// killed outright leaves nothing on the broker.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { performance } from 'node:perf_hooks';
import { connectMyxi, publish, metrics, eventually, within } from '../lib/herald.mjs';
import { stopRedis, startRedis, stopRabbit, startRabbit } from '../lib/brokers.mjs';
import {
  buses, uniqueName, exchangesToml, startNodes, readyz, nextEvent, subscribe, settle,
  brokerPublish, rabbitmqctl, brokersDir, takeBroker,
} from '../lib/cluster.mjs';

// Lines a node logs about its bus being away: one per change of state is fine, one per retry is not.
const awayLine = /(not ready|lost|disconnect|unreachable|refused|cannot connect|could not connect|failed to connect|connection (closed|reset|error)|reconnect|retrying)/i;
const busLine = /(bus|broker|redis|rabbit|amqp)/i;

for (const bus of buses) {
  const skip = bus.skip || (!brokersDir() && 'HERALD_TEST_BROKERS_DIR is not set: the broker cannot be restarted ' +
    '(scripts/test sets it; by hand, export HERALD_TEST_BROKERS_DIR=DIR for scripts/brokers start DIR)');
  describe(`the ${bus.broker} broker going away under two nodes (${bus.name} bus)`, { skip }, () => {
    const exchange = uniqueName('outage');
    // Short reconnect waits, so a broker that stays away for a few seconds sees dozens of retries.
    const config = `${exchangesToml([{ name: exchange, type: 'direct' }])}
[bus]
min_backoff_ms = 50
max_backoff_ms = 200
`;
    let nodes = [];
    let clients = [];
    let brokerDown = false;
    let releaseBroker = null;
    let fakeBroker = null;

    const stopBroker = () => (bus.name === 'redis' ? stopRedis({ kill: true }) : stopRabbit());
    const startBroker = () => (bus.name === 'redis' ? startRedis() : startRabbit());

    before(async () => {
      nodes = await startNodes(bus, { count: 2, config });
      clients = await Promise.all(nodes.map((node) => connectMyxi(node)));
      for (const client of clients) await subscribe(client, exchange, 'live');
      await settle(nodes[0], clients, exchange, 'live');
    });
    after(async () => {
      // Whatever happened, the broker is left running and ready for the tests after this file.
      if (fakeBroker) await new Promise((resolve) => fakeBroker.close(resolve));
      if (brokerDown) await startBroker();
      releaseBroker?.();
      await Promise.all(clients.map((client) => client.close()));
      const results = await Promise.all(nodes.map((node) => node.stop()));
      for (const result of results) assert.equal(result.code, 0, 'each node exits 0 on SIGTERM');
    });

    test('a node killed with SIGKILL leaves nothing on the broker that grows', async () => {
      const [doomed] = await startNodes(bus, { count: 1, config, firstId: 3 });
      let stopped = false;
      try {
        const client = await connectMyxi(doomed);
        await subscribe(client, exchange, 'doomed');
        await settle(nodes[0], [client], exchange, 'doomed');
        if (bus.name === 'redis') {
          const probe = () => brokerPublish(bus, { via: 'node', exchange, routingKey: 'doomed', bodies: ['{"event":"probe"}'] });
          assert.deepEqual(await probe(), [1], 'the node subscribes to the channel');
          await doomed.stop('SIGKILL');
          stopped = true;
          await eventually(async () => (await probe())[0] === 0, 'redis has dropped the killed node\'s subscription');
        } else {
          const bound = (await rabbitmqctl('list_bindings', 'source_name', 'destination_name', 'routing_key'))
            .filter(([source, , key]) => source === exchange && key === 'doomed').map(([, queue]) => queue);
          assert.equal(bound.length, 1, `one queue is bound to ${exchange}/doomed: ${bound}`);
          await doomed.stop('SIGKILL');
          stopped = true;
          let queues = [];
          await eventually(async () => !(queues = (await rabbitmqctl('list_queues', 'name')).map(([name]) => name)).includes(bound[0]),
            `RabbitMQ has deleted the killed node's queue ${bound[0]}`, 20000);
          assert.ok(!queues.includes(bound[0]));
        }
      } finally {
        if (!stopped) await doomed.stop('SIGKILL');
      }
    });

    test(`while ${bus.broker} is away the nodes are not ready, refuse publishes at once and keep their clients; once it is back they resume with the old subscriptions`, async (t) => {
      releaseBroker = await takeBroker(bus, `outage.test.mjs (${bus.name})`);
      const logFrom = nodes.map((node) => node.output.length);
      brokerDown = true;
      await stopBroker();

      // Right away, before the nodes may have noticed: an answer within 10 s, never a hang.
      const started = performance.now();
      const first = await within(10000, publish(nodes[0], { exchange, routing_key: 'live', event: 'lost' }),
        'POST /api/publish to answer while the broker is away');
      assert.equal(first.status, 503, JSON.stringify(first.body));
      assert.match(first.body.error, /^bus_(not_ready|unavailable)$/);
      const elapsed = performance.now() - started;
      assert.ok(elapsed < 10000, `answered after ${elapsed.toFixed(0)} ms`);
      t.diagnostic(`the first publish after the broker went away: ${first.status} ${JSON.stringify(first.body)} after ${elapsed.toFixed(0)} ms`);

      for (const node of nodes) {
        let state;
        await eventually(async () => (state = await readyz(node)).status === 503, `node ${node.id} says it is not ready`);
        assert.equal(state.body.error, 'bus_not_ready', JSON.stringify(state.body));
        assert.match(state.body.detail, bus.name === 'redis' ? /redis/i : /rabbitmq|amqp|broker/i,
          `the reason names the broker: ${JSON.stringify(state.body)}`);
        assert.equal((await metrics(node)).get('herald_ready'), 0);
        const t0 = performance.now();
        const refused = await within(10000, publish(node, { exchange, routing_key: 'live', event: 'lost' }), 'a 503');
        assert.equal(refused.status, 503);
        assert.equal(refused.body.error, 'bus_not_ready', JSON.stringify(refused.body));
        assert.ok(performance.now() - t0 < 2000, 'refused at once while not ready');
      }
      for (const [i, client] of clients.entries()) {
        assert.equal(client.isClosed, false, `the client on node ${nodes[i].id} stays connected`);
        assert.equal((await client.request('Ping', {})).event, 'Pong', `the session on node ${nodes[i].id} still answers`);
      }

      if (bus.name === 'redis') {
        // Something that takes the connection and drops it, as a proxy in front of a dead redis
        // does: it counts the nodes' attempts, so the log below is checked against dozens of
        // retries. (RabbitMQ is away for about 15 s, retried every 200 ms at most.)
        const port = Number(new URL(bus.url).port);
        let attempts = 0;
        fakeBroker = net.createServer((socket) => { attempts++; socket.on('error', () => {}); socket.destroy(); });
        const listening = await new Promise((resolve) => {
          fakeBroker.once('error', (error) => resolve(error));
          fakeBroker.listen(port, '127.0.0.1', () => resolve(null));
        });
        if (listening) {
          t.diagnostic(`the retries are not counted: port ${port} was taken meanwhile (${listening.message})`);
        } else {
          await eventually(() => attempts >= 30, `the nodes retry (${attempts} connection attempts so far)`, 20000);
          t.diagnostic(`${attempts} connection attempts while redis was away`);
          for (const node of nodes) assert.equal((await readyz(node)).status, 503, 'a broker that drops the connection is not ready');
          await new Promise((resolve) => fakeBroker.close(resolve));
        }
        fakeBroker = null;
      }

      await startBroker();
      brokerDown = false;
      releaseBroker();
      releaseBroker = null;
      for (const node of nodes) {
        await eventually(async () => (await readyz(node)).status === 200, `node ${node.id} is ready again`, 30000);
      }

      // Ready means subscribed again: the first events after it reach the old subscribers.
      for (const node of nodes) {
        const sent = await publish(node, { exchange, routing_key: 'live', event: 'back', payload: { via: node.id } });
        assert.deepEqual(sent, { status: 202, body: { published: 1 } });
        for (const [i, client] of clients.entries()) {
          assert.deepEqual(await nextEvent(client, `the event published on node ${node.id}`),
            { event: 'back', payload: { via: node.id }, mq: { e: exchange, rk: 'live' } },
            `the client on node ${nodes[i].id} gets it with its old subscription`);
        }
      }
      // And from a back end straight into the broker (RabbitMQ: the exchange is declared again).
      await brokerPublish(bus, { via: 'python', exchange, routingKey: 'live', bodies: ['{"event":"direct"}'] });
      for (const client of clients) assert.equal((await nextEvent(client)).event, 'direct');
      for (const client of clients) assert.equal(client.isClosed, false);

      for (const [i, node] of nodes.entries()) {
        const lines = node.output.slice(logFrom[i]).split('\n').filter((line) => busLine.test(line));
        const away = lines.filter((line) => awayLine.test(line));
        t.diagnostic(`node ${node.id} logged:\n${lines.join('\n')}`);
        assert.ok(away.length >= 1, `node ${node.id} logs that its bus went away:\n${lines.join('\n')}`);
        assert.ok(away.length <= 3 && lines.length <= 6,
          `node ${node.id} logs each change of state once, not each retry (${away.length} lines):\n${lines.join('\n')}`);
      }
    });
  });
}
