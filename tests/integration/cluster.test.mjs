// Three nodes on one broker, once per bus (RabbitMQ, redis): events published on any node, or
// by a back end straight into the broker, reach every subscriber on every node exactly once and
// in order; topic patterns; malformed broker messages; broker subscriptions that follow the
// sessions. Real herald nodes, real brokers (scripts/brokers), real WebSocket clients.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { connectMyxi, publish, metrics, eventually } from '../lib/herald.mjs';
import {
  buses, uniqueName, exchangesToml, startNodes, nextEvent, recordTexts, subscribe, settle,
  brokerPublish, rabbitmqctl, brokersDir, shareBroker,
} from '../lib/cluster.mjs';

for (const bus of buses) {
  describe(`three nodes on the ${bus.name} bus`, { skip: bus.skip }, () => {
    const direct = uniqueName('cluster-direct');
    const topic = uniqueName('cluster-topic');
    let release;
    let nodes = [];

    before(async () => {
      release = await shareBroker(bus, `cluster.test.mjs (${bus.name})`);
      nodes = await startNodes(bus, {
        count: 3,
        config: exchangesToml([{ name: direct, type: 'direct' }, { name: topic, type: 'topic' }]),
      });
    });
    after(async () => {
      const results = await Promise.all(nodes.map((node) => node.stop()));
      release?.();
      for (const result of results) assert.equal(result.code, 0, 'each node exits 0 on SIGTERM');
    });

    // One client on each node, subscribed to `routingKey` of the direct exchange, settled.
    async function clientsOnEveryNode(routingKey) {
      const clients = await Promise.all(nodes.map((node) => connectMyxi(node)));
      for (const client of clients) await subscribe(client, direct, routingKey);
      await settle(nodes[0], clients, direct, routingKey);
      return clients;
    }
    const closeAll = (clients) => Promise.all(clients.map((client) => client.close()));

    test('an event published on any node reaches every subscriber on every node exactly once', async () => {
      const clients = await clientsOnEveryNode('once');
      for (const [i, node] of nodes.entries()) {
        const sent = await publish(node, { exchange: direct, routing_key: 'once', event: `from-node-${node.id}`, payload: { i } });
        assert.deepEqual(sent, { status: 202, body: { published: 1 } });
        // A duplicate would come before this marker: same publisher, same topic, same path.
        assert.equal((await publish(node, { exchange: direct, routing_key: 'once', event: `marker-${node.id}` })).status, 202);
        for (const [c, client] of clients.entries()) {
          assert.deepEqual(await nextEvent(client), { event: `from-node-${node.id}`, payload: { i }, mq: { e: direct, rk: 'once' } },
            `the client on node ${nodes[c].id} gets node ${node.id}'s event`);
          assert.equal((await nextEvent(client)).event, `marker-${node.id}`,
            `the client on node ${nodes[c].id} gets node ${node.id}'s event once: the marker comes next`);
        }
      }
      await closeAll(clients);
    });

    test('200 events published in a row on one node arrive in publish order on every node', async () => {
      const clients = await clientsOnEveryNode('order');
      const count = 200;
      const batch = Array.from({ length: count }, (_, i) => ({ exchange: direct, routing_key: 'order', event: 'n', payload: { i } }));
      assert.deepEqual(await publish(nodes[1], batch), { status: 202, body: { published: count } });
      assert.equal((await publish(nodes[1], { exchange: direct, routing_key: 'order', event: 'end' })).status, 202);
      for (const [c, client] of clients.entries()) {
        for (let i = 0; i < count; i++) {
          const event = await nextEvent(client, `event ${i} on node ${nodes[c].id}`);
          assert.deepEqual([event.event, event.payload.i], ['n', i], `event ${i} on node ${nodes[c].id}`);
        }
        assert.equal((await nextEvent(client)).event, 'end', `nothing more on node ${nodes[c].id}`);
      }
      await closeAll(clients);
    });

    for (const via of ['python', 'node']) {
      test(`an event a ${via === 'python' ? 'Python' : 'Node'} back end publishes into the broker reaches every node, payload bytes and extra keys untouched`, async () => {
        const routingKey = `backend-${via}`;
        const clients = await clientsOnEveryNode(routingKey);
        const texts = clients.map(recordTexts);
        const id = via === 'python' ? 7 : 8;
        // No content type, no headers: the body is all there is, as Myxi's push_event sends it.
        const body = `{"event":"E","payload":{ "a" : 1.50 },"id":${id}}`;
        const counts = await brokerPublish(bus, { via, exchange: direct, routingKey, bodies: [body] });
        if (bus.name === 'redis') assert.deepEqual(counts, [3], 'PUBLISH reached the three nodes');
        const expected = `{"event":"E","payload":{ "a" : 1.50 },"id":${id},"mq":{"e":${JSON.stringify(direct)},"rk":${JSON.stringify(routingKey)}}}`;
        for (const [c, client] of clients.entries()) {
          assert.deepEqual(await nextEvent(client), { event: 'E', payload: { a: 1.5 }, id, mq: { e: direct, rk: routingKey } });
          assert.deepEqual(texts[c], [expected], `the text the client on node ${nodes[c].id} gets`);
        }
        // And once: the next event is the one published after it.
        await brokerPublish(bus, { via, exchange: direct, routingKey, bodies: ['{"event":"after"}'] });
        for (const client of clients) assert.deepEqual(await nextEvent(client), { event: 'after', payload: {}, mq: { e: direct, rk: routingKey } });
        await closeAll(clients);
      });
    }

    test('a broker message that is not a JSON object with a string "event" is dropped and counted, and the next good one arrives', async () => {
      const clients = await clientsOnEveryNode('malformed');
      const before = await Promise.all(nodes.map((node) => metrics(node)));
      const bad = ['[1,2,3]', '"just a string"', 'not json at all', '{"payload":{"a":1}}', '{"event":5}', '{"event":"E"'];
      await brokerPublish(bus, { via: 'python', exchange: direct, routingKey: 'malformed', bodies: [...bad, '{"event":"good","payload":[1]}'] });
      for (const client of clients) {
        assert.deepEqual(await nextEvent(client), { event: 'good', payload: [1], mq: { e: direct, rk: 'malformed' } });
      }
      for (const [i, node] of nodes.entries()) {
        await eventually(async () => (await metrics(node)).get('herald_events_malformed_total') -
          before[i].get('herald_events_malformed_total') === bad.length,
        `herald_events_malformed_total on node ${node.id} grew by ${bad.length}`);
      }
      await closeAll(clients);
    });

    test('on a topic exchange "nodes.#" gets "nodes.1.created" and "nodes" with the real key in mq.rk, and an event that matches two of a client\'s patterns arrives once', async () => {
      const clients = await Promise.all(nodes.map((node) => connectMyxi(node)));
      const [hash, both, created] = clients;
      // The client on node 2 subscribes "*.created" first: once "nodes.#" (subscribed after it
      // on the same node) hears the settle events, "*.created" is in place too.
      await subscribe(hash, topic, 'nodes.#');
      await subscribe(both, topic, '*.created');
      await subscribe(both, topic, 'nodes.#');
      await subscribe(created, topic, '*.created');
      await subscribe(created, topic, 'widgets.settle');
      await settle(nodes[0], [hash, both], topic, 'nodes.settle');
      await settle(nodes[0], [both, created], topic, 'widgets.created');

      // Each publish is confirmed by the broker before the next is sent, and a node hears the
      // broker on one connection: so the order holds across routing keys too.
      const send = async (routingKey, event) => assert.equal((await publish(nodes[2], { exchange: topic, routing_key: routingKey, event })).status, 202);
      await send('nodes.1.created', 'NodeCreated');   // nodes.# only: '*' is exactly one word
      await send('nodes', 'Nodes');                     // nodes.#: '#' is zero or more words
      await send('nodes.created', 'Both');              // nodes.# and *.created
      await send('widgets.created', 'WidgetCreated');   // *.created only
      await send('nodes.1.created.late', 'Late');       // nodes.# only
      await send('nodes.end', 'End');
      await send('widgets.settle', 'End');

      const got = async (client) => {
        const events = [];
        for (;;) {
          const m = await nextEvent(client);
          if (m.event === 'End') return events;
          events.push([m.event, m.mq.rk]);
          assert.equal(m.mq.e, topic);
        }
      };
      assert.deepEqual(await got(hash),
        [['NodeCreated', 'nodes.1.created'], ['Nodes', 'nodes'], ['Both', 'nodes.created'], ['Late', 'nodes.1.created.late']],
        'the client with "nodes.#" (node 1)');
      assert.deepEqual(await got(both),
        [['NodeCreated', 'nodes.1.created'], ['Nodes', 'nodes'], ['Both', 'nodes.created'], ['WidgetCreated', 'widgets.created'], ['Late', 'nodes.1.created.late']],
        'the client with "*.created" and "nodes.#" (node 2) gets each matching event once');
      assert.deepEqual(await got(created), [['Both', 'nodes.created'], ['WidgetCreated', 'widgets.created']],
        'the client with "*.created" (node 3)');
      await closeAll(clients);
    });

    test('a node\'s broker subscriptions follow its sessions: after its last subscriber of a topic leaves, the topic\'s events are not routed to it', async () => {
      const clients = await clientsOnEveryNode('follow');
      const [one, two, three] = clients;
      const leaving = nodes[2];

      if (bus.name === 'redis') {
        assert.deepEqual(await brokerPublish(bus, { via: 'node', exchange: direct, routingKey: 'follow', bodies: ['{"event":"before"}'] }), [3],
          'three nodes hear the channel');
        for (const client of clients) assert.equal((await nextEvent(client)).event, 'before');
      }

      assert.equal((await three.request('Unsubscribe', { exchange: direct, routing_key: 'follow' })).event, 'Unsubscribed');
      const routedBefore = (await metrics(leaving)).get('herald_events_routed_total');
      // Published through the node that unsubscribed: its unsubscribe takes effect before any
      // publish asked for after it (the bus contract), so the broker no longer routes to it.
      for (const event of ['left', 'end']) {
        assert.equal((await publish(leaving, { exchange: direct, routing_key: 'follow', event })).status, 202);
      }
      for (const client of [one, two]) {
        assert.equal((await nextEvent(client)).event, 'left');
        assert.equal((await nextEvent(client)).event, 'end');
      }

      // At the broker: the node's subscription is gone.
      if (bus.name === 'redis') {
        assert.deepEqual(await brokerPublish(bus, { via: 'python', exchange: direct, routingKey: 'follow', bodies: ['{"event":"later"}'] }), [2],
          'PUBLISH reaches the two nodes that still have subscribers');
        for (const client of [one, two]) assert.equal((await nextEvent(client)).event, 'later');
      } else if (brokersDir()) {
        const bindings = (await rabbitmqctl('list_bindings', 'source_name', 'destination_name', 'routing_key'))
          .filter(([source, , key]) => source === direct && key === 'follow');
        assert.equal(bindings.length, 2, `two queues are bound to ${direct}/follow: ${JSON.stringify(bindings)}`);
      }

      const after = await metrics(leaving);
      assert.equal(after.get('herald_events_routed_total'), routedBefore, 'herald_events_routed_total on the node that left does not move');
      assert.equal(three.received.filter((m) => m.mq).length, 0, 'the client that left gets nothing');

      // A new subscriber there: the node subscribes again, and events are routed to it.
      await subscribe(three, direct, 'follow');
      await settle(nodes[0], clients, direct, 'follow');
      assert.ok((await metrics(leaving)).get('herald_events_routed_total') > routedBefore, 'routed again after a new subscriber');
      await closeAll(clients);
    });
  });
}
