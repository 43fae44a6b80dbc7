// Identities' mailboxes across two nodes on RabbitMQ and Redis: mail notified through one node
// while the identity has no session waits in the broker and reaches its next registration on
// the other node; mail for an identity registered on the other node reaches it at once.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { notify } from '../lib/herald.mjs';
import { buses, uniqueName, startNodes, shareBroker, rabbitmqctl, brokersDir, startLoginBackend, login, withRedis } from '../lib/cluster.mjs';

const nextEvent = (client, what) => client.next((m) => m.mq !== undefined, what);

for (const bus of buses) {
  describe(`mailboxes across two nodes on the ${bus.name} bus`, { skip: bus.skip }, () => {
    const prefix = uniqueName('mail');
    let release;
    let backend;
    let nodes;
    before(async () => {
      release = await shareBroker(bus, `mailboxes_brokers.test.mjs (${bus.name})`);
      backend = await startLoginBackend({ max_connections: 2 });
      nodes = await startNodes(bus, {
        count: 2,
        config: `[addressing]\nprefix = "${prefix}"\n[backend]\nurl = "${backend.url}"\nactions = ["Login"]\n`,
      });
    });
    after(async () => {
      const results = await Promise.all((nodes ?? []).map((n) => n.stop()));
      await backend?.stop();
      release?.();
      for (const r of results) assert.equal(r.code, 0);
    });

    {
      test('mail notified through one node while the identity is away reaches its registration on the other', async () => {
        const gone = await login(nodes[0], 'ann');
        await gone.close();
        for (let i = 1; i <= 3; i++) {
          assert.deepEqual(await notify(nodes[0], { identity: 'ann', event: 'Away', payload: { i } }), { status: 202, body: { notified: true } });
        }
        if (bus.name === 'amqp' && brokersDir()) {
          // Kept on disk: a durable queue, persistent messages, so a broker restart keeps them.
          const rows = await rabbitmqctl('list_queues', 'name', 'durable', 'messages', 'messages_persistent');
          const row = rows.find(([name]) => name === `${prefix}.mailbox.ann`);
          assert.deepEqual(row, [`${prefix}.mailbox.ann`, 'true', '3', '3']);
        }
        const back = await login(nodes[1], 'ann');
        for (let i = 1; i <= 3; i++) assert.deepEqual((await nextEvent(back, `mail ${i}`)).payload, { i });
        await back.close();
      });

      test('mail for an identity registered on the other node reaches it at once, and once', async () => {
        const here = await login(nodes[1], 'bob');
        // Node 2 takes mail once it is told; the tell travels on the identity's topic, which
        // node 2 subscribes to as the session registers: notify until the first arrives.
        // Through another node, the registration is there a moment after the command: until
        // then notify answers 404 (docs/backend.md).
        let n = 0;
        for (let attempts = 1; ; attempts++) {
          assert.ok(attempts < 2000, 'the registration reaches the broker');
          const answer = await notify(nodes[0], { identity: 'bob', event: 'Now', payload: { n: n + 1 } });
          if (answer.status === 404) continue;
          assert.equal(answer.status, 202);
          n++;
          const got = await here.next((m) => m.event === 'Now', 'mail', 1000).catch(() => null);
          if (got) break;
        }
        // Every one notified so far arrives, in order, and nothing twice.
        const marker = ++n;
        assert.equal((await notify(nodes[0], { identity: 'bob', event: 'Now', payload: { n: marker } })).status, 202);
        let last = 0;
        for (;;) {
          const m = await nextEvent(here, 'the rest of the mail');
          assert.ok(m.payload.n > last, `in order, once: ${m.payload.n} after ${last}`);
          last = m.payload.n;
          if (last === marker) break;
        }
        await here.close();
      });

      test('the identity\'s lifetime is the broker\'s own expiry of its mailbox', async () => {
        await (await login(nodes[0], 'cid')).close(); // registered with lifetime 600 s
        if (bus.name === 'redis') {
          // The identity's hash lives as long as the identity; the list of its mail goes with it.
          const ttl = await withRedis(bus.url, async (client) => {
            for (;;) {
              const seconds = await client.ttl(`${prefix}:identity:cid`);
              if (seconds !== -2) return seconds; // -2: not there yet (a moment after the command)
            }
          });
          assert.ok(ttl > 590 && ttl <= 600, `TTL ${ttl}`);
        } else if (brokersDir()) {
          let row;
          for (let i = 0; i < 20 && !row; i++) {
            row = (await rabbitmqctl('list_queues', 'name', 'arguments')).find(([name]) => name === `${prefix}.mailbox.cid`);
          }
          assert.ok(row, 'the mailbox queue is declared');
          assert.match(row[1], /x-expires.{0,4}600000\b/);
        }
      });

      test('notify through either node answers 404 for an identity that never registered', async () => {
        for (const node of nodes) assert.equal((await notify(node, { identity: 'never-seen', event: 'X' })).status, 404);
      });
    }
  });
}
