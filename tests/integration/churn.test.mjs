// Sessions that come and go while events flood: abrupt disconnects in the middle of writes,
// closes racing deliveries. Herald must survive it (under ASan) and end with nothing left over.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startHerald, connectMyxi, rawWebSocket, clientFrame, publish, metrics, eventually } from '../lib/herald.mjs';

test('sessions that vanish while events flood leave no session, subscription or connection behind', async () => {
  const node = await startHerald({ config: '[limits]\nmax_outbox_bytes = 65536\n', threads: 2 });
  try {
    const event = { exchange: 'flood', routing_key: 'k', event: 'E', payload: { text: 'x'.repeat(2000) } };
    let flooding = true;
    const flood = (async () => {
      while (flooding) assert.equal((await publish(node, Array(50).fill(event))).status, 202);
    })();

    for (let round = 0; round < 10; round++) {
      const clients = await Promise.all(Array.from({ length: 20 }, () => rawWebSocket(node)));
      for (const [i, ws] of clients.entries()) {
        ws.write(clientFrame(1, JSON.stringify({ action: 'Subscribe', tag: i, payload: { exchange: 'flood', routing_key: 'k' } })));
      }
      // Some stop reading, some vanish at once, some say goodbye properly.
      await Promise.all(clients.map(async (ws, i) => {
        if (i % 3 === 0) ws.socket.pause();
        else if (i % 3 === 1) ws.destroy();
        else {
          await ws.nextFrame((f) => f.opcode === 1 && f.payload.includes('Subscribed'), 'Subscribed');
          ws.write(clientFrame(8, Buffer.from([0x03, 0xe8])));
        }
      }));
      for (const ws of clients) ws.destroy();
    }
    const survivor = await connectMyxi(node);
    assert.equal((await survivor.request('Subscribe', { exchange: 'flood', routing_key: 'k' })).event, 'Subscribed');
    await survivor.next('E', 'an event after the churn');
    flooding = false;
    await flood;
    await survivor.close();

    await eventually(async () => {
      const m = await metrics(node);
      return m.get('herald_connections') === 1 && m.get('herald_sessions{endpoint="/pushwss"}') === 0 &&
        m.get('herald_subscriptions') === 0;
    }, 'every session, subscription and connection but the scrape to be gone');
  } finally {
    assert.equal((await node.stop()).code, 0);
  }
});
