// Choosing a bus: [bus] url, --bus, HERALD_BUS_URL and the seeds' own variables, in that order,
// and passwords never shown. The brokers named here are unreachable on purpose: a node on an
// absent broker starts, says where its bus is (masked) and is not ready.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startHerald, eventually } from '../lib/herald.mjs';

const binary = process.env.HERALD_BIN ?? new URL('../../build/dev/herald', import.meta.url).pathname;

// A port nothing listens on: the kernel picked it for a throwaway listener, now closed.
async function closedPort() {
  const server = net.createServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

// The bus the start-up line names: "bus <what>)".
function busOf(node) {
  return /, bus (.*)\)/.exec(node.output)?.[1];
}

const seedVariables = { HERALD_BUS_URL: '', RABBITMQ_URL: '', REDIS_URL: '', PL_REDIS_URL: '' };

test('without any bus setting a node runs on the memory bus', async () => {
  const node = await startHerald({ env: seedVariables });
  assert.equal(busOf(node), 'memory');
  assert.equal((await node.stop()).code, 0);
});

test('a password in a bus URL shows masked in the log, /readyz and /metrics', async () => {
  const port = await closedPort();
  const node = await startHerald({ args: ['--bus', `redis://:s3cret-pw@127.0.0.1:${port}/0`], env: seedVariables });
  assert.equal(busOf(node), `redis://:****@127.0.0.1:${port}/0`);
  let ready;
  await eventually(async () => {
    ready = await fetch(node.url('/readyz'));
    return ready.status === 503;
  }, 'the node says it is not ready');
  const body = await ready.json();
  assert.equal(body.error, 'bus_not_ready');
  const metrics = await (await fetch(node.url('/metrics'))).text();
  assert.match(metrics, /^herald_ready 0$/m);
  for (const text of [node.output, JSON.stringify(body), metrics]) {
    assert.ok(!text.includes('s3cret-pw'), 'the password never shows');
  }
  assert.equal((await node.stop()).code, 0);
});

test('while the bus is away, publishing answers 503 at once', async () => {
  const port = await closedPort();
  const node = await startHerald({ args: ['--bus', `redis://127.0.0.1:${port}/0`], env: seedVariables });
  const response = await fetch(node.url('/api/publish'), {
    method: 'POST',
    headers: { authorization: 'Bearer test-key' },
    body: JSON.stringify({ exchange: 'w', routing_key: 'k', event: 'E' }),
  });
  assert.equal(response.status, 503);
  assert.equal((await response.json()).error, 'bus_not_ready');
  assert.equal((await node.stop()).code, 0);
});

test('--bus beats HERALD_BUS_URL, which beats [bus] url, which beats the seeds\' variables', async () => {
  const [a, b, c, d] = await Promise.all([closedPort(), closedPort(), closedPort(), closedPort()]);
  const config = `[bus]\nurl = "redis://127.0.0.1:${c}/0"\n`;
  const seeds = { RABBITMQ_URL: `redis://127.0.0.1:${d}/0`, REDIS_URL: '', PL_REDIS_URL: '' };
  const flag = await startHerald({ config, args: ['--bus', `redis://127.0.0.1:${a}/0`], env: { ...seeds, HERALD_BUS_URL: `redis://127.0.0.1:${b}/0` } });
  assert.equal(busOf(flag), `redis://127.0.0.1:${a}/0`);
  const env = await startHerald({ config, env: { ...seeds, HERALD_BUS_URL: `redis://127.0.0.1:${b}/0` } });
  assert.equal(busOf(env), `redis://127.0.0.1:${b}/0`);
  const file = await startHerald({ config, env: { ...seeds, HERALD_BUS_URL: '' } });
  assert.equal(busOf(file), `redis://127.0.0.1:${c}/0`);
  const seed = await startHerald({ env: { ...seeds, HERALD_BUS_URL: '' } });
  assert.equal(busOf(seed), `redis://127.0.0.1:${d}/0`);
  for (const node of [flag, env, file, seed]) assert.equal((await node.stop()).code, 0);
});

test('REDIS_URL and then PL_REDIS_URL are read when nothing else names a bus', async () => {
  const [a, b] = await Promise.all([closedPort(), closedPort()]);
  const redis = await startHerald({ env: { ...seedVariables, REDIS_URL: `redis://127.0.0.1:${a}/0`, PL_REDIS_URL: `redis://127.0.0.1:${b}/0` } });
  assert.equal(busOf(redis), `redis://127.0.0.1:${a}/0`);
  const plezi = await startHerald({ env: { ...seedVariables, PL_REDIS_URL: `redis://127.0.0.1:${b}/0` } });
  assert.equal(busOf(plezi), `redis://127.0.0.1:${b}/0`);
  for (const node of [redis, plezi]) assert.equal((await node.stop()).code, 0);
});

test('a bus URL of no known kind, or a list mixing kinds, fails at start with one line', () => {
  const dir = mkdtempSync(join(tmpdir(), 'herald-bus-'));
  const file = join(dir, 'herald.toml');
  writeFileSync(file, '');
  for (const [url, words] of [
    ['kafka://host:9092', /names no bus/],
    ['redis://:pw@a:1/0,amqp://u:pw@b:2/', /not a redis URL/],
  ]) {
    const result = spawnSync(binary, ['--config', file, '--port', '0', '--bus', url],
      { encoding: 'utf8', env: { ...process.env, ...seedVariables }, timeout: 20000 });
    assert.equal(result.status, 2, result.stderr);
    const lines = result.stderr.trim().split('\n');
    assert.equal(lines.length, 1, result.stderr);
    assert.match(lines[0], /bus/);
    assert.match(lines[0], words);
    assert.ok(!lines[0].includes(':pw@'), 'the password never shows');
  }
});
