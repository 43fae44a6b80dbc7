// An unmodified Piped back end against two Herald nodes on RabbitMQ: it consumes each node's
// queue-out-{nodeId}, answers methods to that node's exchange-in-{nodeId}, and sends events
// for a token to exchange-mass, with names from Piped's own environment variables.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import amqplib from 'amqplib';
import WebSocket from 'ws';
import { within, startHerald } from '../lib/herald.mjs';
import { buses, uniqueName, startNodes, shareBroker } from '../lib/cluster.mjs';

const amqp = buses.find((bus) => bus.name === 'amqp');

async function connectPiped(node, token) {
  const ws = new WebSocket(node.wsUrl(`/api/${token}`));
  const queue = [];
  let wake;
  ws.on('message', (data) => { queue.push(JSON.parse(data.toString())); wake?.(); });
  await within(5000, new Promise((resolve, reject) => { ws.once('open', resolve); ws.once('error', reject); }), 'open');
  return {
    send: (m) => ws.send(JSON.stringify(m)),
    async next() {
      while (!queue.length) await within(5000, new Promise((resolve) => { wake = resolve; }), 'a message');
      return queue.shift();
    },
    received: queue,
    close: () => ws.close(),
  };
}

describe('Piped\'s own topology on RabbitMQ', { skip: amqp.skip }, () => {
  const prefix = `${uniqueName('piped')}-`;
  const env = {
    RABBIT_PREFIX_EXCHANGE_IN: `${prefix}exchange-in-`,
    RABBIT_PREFIX_EXCHANGE_OUT: `${prefix}exchange-out-`,
    RABBIT_PREFIX_QUEUE_IN: `${prefix}queue-in-`,
    RABBIT_PREFIX_QUEUE_OUT: `${prefix}queue-out-`,
    RABBIT_MASS_EXHANGE_NAME: `${prefix}exchange-mass`,
  };
  let release;
  let nodes = [];
  let connection;
  let channel;
  const methods = [];

  before(async () => {
    release = await shareBroker(amqp, 'piped_rabbitmq.test.mjs');
    // The documented minimal configuration: a Piped endpoint and --node-id.
    nodes = await startNodes(amqp, {
      count: 2,
      env,
      config: '[[endpoints]]\npath = "/api/{token}"\ndialect = "piped"\n',
    });
    // The Piped back end: it knows each node by the out-queue it consumes.
    connection = await amqplib.connect(amqp.url);
    channel = await connection.createChannel();
    for (const node of nodes) {
      await channel.consume(`${env.RABBIT_PREFIX_QUEUE_OUT}${node.id}`, (m) => {
        const request = JSON.parse(m.content.toString());
        methods.push({ node: node.id, raw: m.content.toString(), request });
        const result = { id: request.id, type: 'result', token: request.token, method: request.method, payload: { echo: request.payload } };
        channel.publish(`${env.RABBIT_PREFIX_EXCHANGE_IN}${node.id}`, '', Buffer.from(JSON.stringify(result)));
        channel.ack(m);
      });
    }
  });
  after(async () => {
    await connection?.close();
    const results = await Promise.all(nodes.map((node) => node.stop()));
    release?.();
    for (const result of results) assert.equal(result.code, 0);
  });

  test('a method reaches the node\'s out-queue in Piped\'s format and its result every session of the token on that node', async () => {
    const [a1, a2, other] = [await connectPiped(nodes[0], 'alice'), await connectPiped(nodes[0], 'alice'), await connectPiped(nodes[1], 'alice')];
    a1.send({ id: 1, method: 'get-article', payload: { articleId: 1 } });
    const expected = { id: 1, type: 'result', method: 'get-article', payload: { echo: { articleId: 1 } } };
    assert.deepEqual(await a1.next(), expected);
    assert.deepEqual(await a2.next(), expected, 'Piped sends a result to every socket of the token on the node');
    assert.equal(methods.at(-1).node, nodes[0].id);
    assert.equal(methods.at(-1).raw, '{"id":1,"method":"get-article","token":"alice","payload":{"articleId":1}}');
    other.send({ method: 'ping' });
    assert.deepEqual(await other.next(), { type: 'event', event: 'pong' }, 'the other node\'s session got no result');
    for (const c of [a1, a2, other]) c.close();
  });

  test('an event sent to the mass exchange reaches every session of the token on every node', async () => {
    const [b1, b2, c] = [await connectPiped(nodes[0], 'bob'), await connectPiped(nodes[1], 'bob'), await connectPiped(nodes[1], 'carol')];
    const event = { type: 'event', token: 'bob', event: 'balance-changed', payload: { balance: 3 } };
    channel.publish(env.RABBIT_MASS_EXHANGE_NAME, '', Buffer.from(JSON.stringify(event)));
    for (const client of [b1, b2]) {
      assert.deepEqual(await client.next(), { type: 'event', event: 'balance-changed', payload: { balance: 3 } });
    }
    c.send({ method: 'ping' });
    assert.deepEqual(await c.next(), { type: 'event', event: 'pong' }, 'carol got nothing before her pong');
    for (const client of [b1, b2, c]) client.close();
  });
});

test('Piped\'s topology without --node-id stops Herald at start with one clear line', { skip: amqp.skip }, async () => {
  await assert.rejects(startHerald({
    args: ['--bus', amqp.url],
    config: '[[endpoints]]\npath = "/api/{token}"\ndialect = "piped"\n',
  }), /node_id: a Piped endpoint on RabbitMQ without \[backend\] uses Piped's per-node queues, which need --node-id N/);
});
