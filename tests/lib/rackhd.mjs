// RackHD's side of the broker, as on-core's messenger does it (lib/common/messenger.js,
// lib/protocol/waterline.js): topic exchanges declared durable and not auto-deleted, database
// changes published to the Waterline exchange with routing key <identity>.<event>.<id> and body
// {"event","record"}, as JSON with content type application/json and AMQP type "Object" (node-amqp's
// publish of a plain object). On Redis, which RackHD never used, the same body goes on the channel
// Herald's Redis bus maps the topic to (redisChannel). One connection per publisher, kept open.
// Also: settling a MonoRail watch, which the protocol never answers, by publishing probes; and
// writes through Herald's /api/resources, the changes RackHD's own database writes would make.
import amqplib from 'amqplib';
import { createClient } from 'redis';
import { within, eventually } from './herald.mjs';
import { redisChannel, uniqueName } from './cluster.mjs';

// As on-core declares every exchange of its list.
export const rackhdExchange = { durable: true, autoDelete: false };

export async function rackhdPublisher(bus) {
  if (bus.name === 'amqp') {
    const connection = await within(10000, amqplib.connect(bus.url), 'amqplib to connect');
    const channel = await connection.createConfirmChannel();
    return {
      // Resolves once the broker took the declaration; rejects (406) on a different one.
      declare: (exchange) => channel.assertExchange(exchange, 'topic', rackhdExchange),
      async publish(exchange, routingKey, body) {
        channel.publish(exchange, routingKey, Buffer.from(JSON.stringify(body)),
          { contentType: 'application/json', type: 'Object' });
        await within(10000, channel.waitForConfirms(), 'the broker to confirm');
      },
      remove: (exchange) => channel.deleteExchange(exchange),
      close: () => connection.close(),
    };
  }
  const client = createClient({ url: bus.url });
  client.on('error', () => {}); // a call that hits a failure rejects; a restart reconnects
  await within(10000, client.connect(), 'node-redis to connect');
  return {
    declare: async () => {},
    publish: (exchange, routingKey, body) =>
      within(10000, client.publish(redisChannel(exchange, routingKey), JSON.stringify(body)), 'PUBLISH'),
    remove: async () => {},
    close: () => client.close(),
  };
}

// PUT/POST/DELETE /api/resources/{resource}/{id} with the tests' API key: { status, body }.
export async function writeResource(node, resource, id, document, method = 'PUT') {
  const response = await fetch(node.url(`/api/resources/${resource}/${encodeURIComponent(id)}`), {
    method,
    headers: { 'content-type': 'application/json', authorization: 'Bearer test-key' },
    body: document === undefined ? undefined : JSON.stringify(document),
  });
  return { status: response.status, body: await response.json() };
}

// A Waterline change as on-core publishes it.
export const publishChange = (publisher, exchange, identity, event, record) =>
  publisher.publish(exchange, `${identity}.${event}.${record.id}`, { event, record });

// The name a MonoRail message carries for what it is about: the routing key of an mq item, the
// record id of a change.
export const subjectOf = (m) => (Array.isArray(m.id) ? m.id[1] : m.id);

// A watch is answered by nothing, and its broker subscription is in place a moment after the
// node read it. So: `probe(name)` publishes something the watches see, named `name`, until every
// client got one; then a last probe, and each client drains the probes up to it. Afterwards the
// watches hold and no probe is left queued.
export async function settleWatch(clients, probe, what) {
  const tag = uniqueName('probe');
  const mine = (m) => typeof subjectOf(m) === 'string' && subjectOf(m).startsWith(tag);
  const arrived = clients.map(() => false);
  clients.forEach((client, i) => {
    client.next(mine, `a probe of ${what}`, 30000).then(() => { arrived[i] = true; }, () => {});
  });
  let n = 0;
  await eventually(async () => {
    await probe(`${tag}-${n++}`);
    return arrived.every(Boolean);
  }, `every watch of ${what} gets what is published (arrived: ${arrived})`, 30000);
  await probe(`${tag}-last`);
  await Promise.all(clients.map(async (client) => {
    for (;;) {
      const m = await client.next(mine, `the last probe of ${what}`);
      if (subjectOf(m) === `${tag}-last`) return;
    }
  }));
}

// The messages `client` gets up to the first one `isMarker` matches (not included).
export async function upTo(client, isMarker, what) {
  const before = [];
  for (;;) {
    const m = await client.next(() => true, what);
    if (isMarker(m)) return before;
    before.push(m);
  }
}
