// Three nodes on each broker (issue #13 §5): a unicast through node 1 reaches the session on
// node 3 and no other; mail notified through node 2 for an identity that left node 1 waits,
// bounded, and reaches its registration on node 3 in order; a restart of node 3 with mail
// waiting loses none of it.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { connectMyxi, send, notify, metrics } from '../lib/herald.mjs';
import { buses, uniqueName, startNodes, shareBroker, nodeOfSession, startLoginBackend, login } from '../lib/cluster.mjs';

const nextEvent = (client, what) => client.next((m) => m.mq !== undefined, what);

for (const bus of buses) {
  describe(`three nodes on the ${bus.name} bus`, { skip: bus.skip }, () => {
    const prefix = uniqueName('three');
    let release;
    let backend;
    let nodes;
    let config;
    before(async () => {
      release = await shareBroker(bus, `three_nodes.test.mjs (${bus.name})`);
      backend = await startLoginBackend();
      config = `[addressing]\nprefix = "${prefix}"\n[backend]\nurl = "${backend.url}"\nactions = ["Login"]\n` +
        '[mailboxes]\nmax_messages = 3\n';
      nodes = await startNodes(bus, { count: 3, config });
    });
    after(async () => {
      const results = await Promise.all((nodes ?? []).map((n) => n.stop()));
      await backend?.stop();
      release?.();
      for (const r of results) assert.equal(r.code, 0);
    });

    // The first notify through another node: a registration reaches the broker a moment after
    // its command (docs/backend.md), and until then notify answers 404.
    async function firstNotify(node, body) {
      for (const started = Date.now(); Date.now() - started < 10000;) {
        const answer = await notify(node, body);
        if (answer.status !== 404) return answer;
      }
      throw new Error(`${body.identity} never became known to node ${node.id}`);
    }

    test('a unicast through node 1 reaches its session on node 3, and the session on node 2 gets nothing', async () => {
      const [there, bystander] = [await connectMyxi(nodes[2]), await connectMyxi(nodes[1])];
      assert.equal(nodeOfSession(there.welcome.payload.id), 3);
      assert.deepEqual(await send(nodes[0], { to: { session: there.welcome.payload.id }, event: 'Hi', payload: { n: 1 } }),
        { status: 202, body: { sent: 1 } });
      assert.deepEqual((await nextEvent(there, 'the unicast')).payload, { n: 1 });
      // A marker unicast to the bystander: had the first reached it, it would come first.
      await send(nodes[0], { to: { session: bystander.welcome.payload.id }, event: 'Marker' });
      assert.equal((await nextEvent(bystander, 'the marker')).event, 'Marker');
      await Promise.all([there.close(), bystander.close()]);
    });

    test('mail for an identity that left node 1, notified through node 2, waits bounded and reaches node 3 in order', async () => {
      const identity = uniqueName('ann');
      await (await login(nodes[0], identity)).close();
      for (let i = 1; i <= 3; i++) {
        const post = i === 1 ? firstNotify : notify;
        assert.deepEqual(await post(nodes[1], { identity, event: 'Away', payload: { i } }), { status: 202, body: { notified: true } });
      }
      const full = await notify(nodes[1], { identity, event: 'Away', payload: { i: 4 } });
      assert.equal(full.status, 507);
      assert.equal(full.body.error, 'mailbox_full');
      assert.equal((await metrics(nodes[1])).get('herald_mailbox_full_total'), 1);
      const back = await login(nodes[2], identity);
      for (let i = 1; i <= 3; i++) assert.deepEqual((await nextEvent(back, `mail ${i}`)).payload, { i });
      // Nothing more: the refused fourth is not kept. A unicast marker comes next.
      await send(nodes[0], { to: { session: back.welcome.payload.id }, event: 'Marker' });
      assert.equal((await nextEvent(back, 'the marker')).event, 'Marker');
      await back.close();
    });

    test('node 3 restarted with mail waiting: the identity\'s registration there gets all of it', async () => {
      const identity = uniqueName('bob');
      await (await login(nodes[2], identity)).close();
      // The first mail once the registration is in the store (a node that stops at once may
      // not have stored it: docs/backend.md), the second while node 3 is down.
      assert.equal((await firstNotify(nodes[0], { identity, event: 'While', payload: { i: 1 } })).status, 202);
      assert.equal((await nodes[2].stop()).code, 0);
      assert.equal((await notify(nodes[0], { identity, event: 'While', payload: { i: 2 } })).status, 202);
      [nodes[2]] = await startNodes(bus, { count: 1, firstId: 3, config });
      const back = await login(nodes[2], identity);
      for (let i = 1; i <= 2; i++) assert.deepEqual((await nextEvent(back, `mail ${i}`)).payload, { i });
      await back.close();
    });
  });
}
