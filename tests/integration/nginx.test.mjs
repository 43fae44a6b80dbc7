// Three nodes behind Debian's nginx, configured as Piped's README shows (an upstream with the
// nodes; proxy_http_version 1.1; Upgrade and Connection "upgrade" headers), once per bus: a
// client connected through nginx gets the events published on any other node.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { connectMyxi, publish } from '../lib/herald.mjs';
import {
  buses, uniqueName, exchangesToml, startNodes, nextEvent, subscribe, settle, nodeOfSession,
  shareBroker, startNginx, nginxAvailable,
} from '../lib/cluster.mjs';

for (const bus of buses) {
  const skip = bus.skip || (!nginxAvailable() && '/usr/sbin/nginx is not installed (scripts/setup installs Debian\'s nginx)');
  describe(`nodes behind nginx on the ${bus.name} bus`, { skip }, () => {
    const exchange = uniqueName('nginx');
    let release;
    let nodes = [];
    let nginx = null;

    before(async () => {
      release = await shareBroker(bus, `nginx.test.mjs (${bus.name})`);
      nodes = await startNodes(bus, { count: 3, config: exchangesToml([{ name: exchange, type: 'direct' }]) });
      nginx = await startNginx(nodes);
    });
    after(async () => {
      const stopped = nginx && await nginx.stop();
      const results = await Promise.all(nodes.map((node) => node.stop()));
      release?.();
      if (stopped) assert.ok(stopped.code === 0 || stopped.signal === 'SIGQUIT', `nginx exits on SIGQUIT: ${JSON.stringify(stopped)}`);
      for (const result of results) assert.equal(result.code, 0, 'each node exits 0 on SIGTERM');
    });

    test('a client connected through nginx receives the events published on another node', async () => {
      // Round robin: three connections in a row land on the three nodes. The session id says which.
      const clients = [];
      for (let i = 0; i < nodes.length; i++) clients.push(await connectMyxi(nginx));
      const homes = clients.map((client) => nodeOfSession(client.welcome.payload.id));
      assert.deepEqual([...homes].sort(), nodes.map((node) => node.id), `one client per node: ${homes}`);
      for (const client of clients) await subscribe(client, exchange, 'proxied');
      await settle(nodes[0], clients, exchange, 'proxied');

      // Each node in turn publishes, straight to the node; every client gets the event, those on
      // the other nodes through the broker and nginx.
      for (const node of nodes) {
        const sent = await publish(node, { exchange, routing_key: 'proxied', event: 'Published', payload: { on: node.id } });
        assert.deepEqual(sent, { status: 202, body: { published: 1 } });
        for (const [i, client] of clients.entries()) {
          assert.deepEqual(await nextEvent(client, `node ${node.id}'s event at the client on node ${homes[i]}`),
            { event: 'Published', payload: { on: node.id }, mq: { e: exchange, rk: 'proxied' } });
        }
      }
      // The plain HTTP API answers through the same proxy.
      assert.equal((await fetch(nginx.url('/readyz'))).status, 200);
      await Promise.all(clients.map((client) => client.close()));
    });
  });
}
