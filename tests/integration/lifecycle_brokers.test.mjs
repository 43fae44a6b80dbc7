// Lifecycle events through a real broker, as a back end consumes them: RabbitMQ (amqplib, a
// queue bound to the lifecycle exchange) and redis (node-redis, SUBSCRIBE to its channels).
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import amqplib from 'amqplib';
import { createClient } from 'redis';
import { connectMyxi, within } from '../lib/herald.mjs';
import { buses, uniqueName, startNodes, shareBroker } from '../lib/cluster.mjs';

// A back end's consumer of the lifecycle exchange: resolves each wanted message in order.
async function consume(bus, exchange) {
  const received = [];
  const waiters = [];
  const take = (text) => {
    received.push(JSON.parse(text));
    for (const w of waiters.splice(0)) w();
  };
  let stop;
  if (bus.name === 'amqp') {
    const connection = await amqplib.connect(bus.url);
    const channel = await connection.createChannel();
    await channel.checkExchange(exchange); // the node declared it at connect
    const { queue } = await channel.assertQueue('', { exclusive: true });
    await channel.bindQueue(queue, exchange, '#');
    await channel.consume(queue, (m) => take(m.content.toString()), { noAck: true });
    stop = () => connection.close();
  } else {
    const client = createClient({ url: bus.url });
    client.on('error', () => {});
    await client.connect();
    await client.pSubscribe(`${exchange}:*`, take);
    stop = () => client.close();
  }
  return {
    async next(match, what) {
      for (;;) {
        const i = received.findIndex(match);
        if (i >= 0) return received.splice(i, 1)[0];
        await within(10000, new Promise((resolve) => waiters.push(resolve)), what);
      }
    },
    stop,
  };
}

for (const bus of buses) {
  describe(`lifecycle events on the ${bus.name} bus`, { skip: bus.skip }, () => {
    const exchange = uniqueName('lifecycle');
    let release;
    let node;
    before(async () => {
      release = await shareBroker(bus, `lifecycle_brokers.test.mjs (${bus.name})`);
      [node] = await startNodes(bus, { count: 1, config: `[lifecycle]\nexchange = "${exchange}"\n` });
    });
    after(async () => {
      const result = await node.stop();
      release?.();
      assert.equal(result.code, 0);
    });

    test('a back end consuming the lifecycle exchange sees a session connect and leave', async () => {
      const consumer = await consume(bus, exchange);
      const client = await connectMyxi(node);
      const id = client.welcome.payload.id;
      const of = (name) => (m) => m.event === name && m.payload.session === id;
      const connected = await consumer.next(of('connected'), 'connected');
      assert.deepEqual([connected.payload.event, connected.payload.node, connected.payload.endpoint],
        ['connected', node.id, '/pushwss']);
      await client.close();
      const disconnected = await consumer.next(of('disconnected'), 'disconnected');
      assert.equal(disconnected.payload.reason, 'client');
      await consumer.stop();
    });
  });
}
