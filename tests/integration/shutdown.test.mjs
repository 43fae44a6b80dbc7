// SIGINT/SIGTERM: stop accepting, Shutdown event to every session, close 1001, exit 0.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startHerald, connectMyxi } from '../lib/herald.mjs';

for (const signal of ['SIGTERM', 'SIGINT']) {
  test(`${signal} sends Shutdown, closes every session with 1001 and exits 0`, async () => {
    const node = await startHerald();
    const clients = await Promise.all([1, 2, 3].map(() => connectMyxi(node)));
    const [{ code }] = await Promise.all([node.stop(signal), ...clients.map((c) => c.closed())]);
    assert.equal(code, 0);
    for (const c of clients) {
      assert.ok(c.received.some((m) => m.event === 'Shutdown'), 'got a Shutdown event');
      assert.equal((await c.closed()).code, 1001);
    }
  });
}

test('shutdown_time spreads the closes over that time', async () => {
  const node = await startHerald({ args: ['--shutdown-time', '1.5'] });
  const clients = await Promise.all(Array.from({ length: 6 }, () => connectMyxi(node)));
  const started = Date.now();
  const closedAt = clients.map((c) => c.closed().then(() => Date.now() - started));
  const { code } = await node.stop();
  assert.equal(code, 0);
  const times = (await Promise.all(closedAt)).sort((a, b) => a - b);
  assert.ok(times[0] < 700, `the first session closes at once (${times[0]} ms)`);
  assert.ok(times[5] >= 900, `the last one closes near the end (${times[5]} ms)`);
  assert.ok(times[5] < 4000, 'and not long after');
});

test('a node with no connections stops at once', async () => {
  const node = await startHerald();
  const started = Date.now();
  assert.equal((await node.stop()).code, 0);
  assert.ok(Date.now() - started < 3000);
});
