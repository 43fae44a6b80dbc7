// Several herald nodes on one broker (RabbitMQ or redis, the ones scripts/test starts), back
// ends that publish straight into the broker (Python with Debian's pika and redis-py, Node with
// amqplib and node-redis), nginx in front of the nodes, and a lock that keeps a test that takes a
// broker away from pulling it out from under another test file (node --test runs two at once).
// Everything waits on events or on bounded polls of the servers' state, never on sleeps.
import { execFile, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync, writeFileSync, readFileSync, readdirSync, mkdirSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import net from 'node:net';
import assert from 'node:assert/strict';
import amqplib from 'amqplib';
import { createClient } from 'redis';
import { startHerald, publish, notify, eventually, within, connectMyxi } from './herald.mjs';
import { startHttpBackend } from './http_backend.mjs';

const run = promisify(execFile);
const python = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3'; // Debian's, with pika
const publishers = new URL('../publishers/', import.meta.url).pathname;
const brokersScript = new URL('../../scripts/brokers', import.meta.url).pathname;

// --- the buses ---------------------------------------------------------------------------------

// The two broker buses, each with its URL from the environment (scripts/test sets them), or
// `skip`: the reason its suite does not run.
export const buses = [
  { name: 'amqp', variable: 'HERALD_TEST_AMQP_URL', broker: 'RabbitMQ' },
  { name: 'redis', variable: 'HERALD_TEST_REDIS_URL', broker: 'redis' },
].map((bus) => {
  const url = process.env[bus.variable] ?? '';
  return {
    ...bus,
    url,
    skip: url ? false : `${bus.variable} is not set, so the ${bus.name} bus is not tested: run make ` +
      'test (scripts/test starts the brokers), or scripts/brokers start DIR and export the lines ' +
      'of DIR/env and HERALD_TEST_BROKERS_DIR=DIR',
  };
});

// The brokers' directory (scripts/brokers), or null when the brokers are not ours to restart.
export const brokersDir = () => process.env.HERALD_TEST_BROKERS_DIR || null;

let names = 0;
// A name no other test, file or run shares: exchanges are declared on a broker that outlives
// the test.
export function uniqueName(what) {
  return `herald-${what}-${process.pid}-${Date.now().toString(36)}-${++names}`;
}

// TOML for `[exchanges."NAME"]` tables: [{ name, type, access, ... }]. Values are written as
// TOML strings or booleans.
export function exchangesToml(exchanges) {
  return exchanges.map(({ name, ...keys }) => {
    const lines = [`[exchanges.${JSON.stringify(name)}]`];
    for (const [k, v] of Object.entries({ access: 'public', ...keys })) {
      lines.push(`${k} = ${typeof v === 'string' ? JSON.stringify(v) : String(v)}`);
    }
    return lines.join('\n');
  }).join('\n') + '\n';
}

// --- nodes -------------------------------------------------------------------------------------

export async function readyz(node) {
  const response = await fetch(node.url('/readyz'));
  return { status: response.status, body: await response.json() };
}

export async function waitReady(node, ms = 30000) {
  let last;
  await eventually(async () => {
    last = await readyz(node);
    return last.status === 200;
  }, `node ${node.id ?? node.port} is ready`, ms)
    .catch((error) => { throw new Error(`${error.message} (last /readyz: ${JSON.stringify(last)}); its log:\n${node.output}`); });
}

// `count` nodes on `bus`, `--threads 1` each, node ids firstId, firstId+1, … (node.id). Resolves
// once every one of them is ready; on a failure stops those that started and rejects.
export async function startNodes(bus, { count, config = '', args = [], env = {}, firstId = 1, threads = 1 } = {}) {
  const started = await Promise.allSettled(Array.from({ length: count }, (_, i) =>
    startHerald({ config, threads, env, args: ['--bus', bus.url, '--node-id', String(firstId + i), ...args] })));
  const nodes = started.filter((s) => s.status === 'fulfilled').map((s) => s.value);
  nodes.forEach((node, i) => { node.id = firstId + i; });
  const failed = started.find((s) => s.status === 'rejected');
  try {
    if (failed) throw failed.reason;
    await Promise.all(nodes.map((node) => waitReady(node)));
  } catch (error) {
    await Promise.all(nodes.map((node) => node.stop()));
    throw error;
  }
  return nodes;
}

// The node id a session id carries in its first 16 bits (docs/architecture.md).
export const nodeOfSession = (id) => parseInt(id.slice(0, 4), 16);

// --- clients -----------------------------------------------------------------------------------

// The next application event (a message with `mq`) the client gets.
export const nextEvent = (client, what = 'an application event', ms = 10000) =>
  client.next((m) => m.mq !== undefined, what, ms);

// Every text frame the client gets from now on, as received: for tests on exact bytes.
export function recordTexts(client) {
  const texts = [];
  client.ws.on('message', (data) => texts.push(data.toString()));
  return texts;
}

export async function subscribe(client, exchange, routingKey) {
  const reply = await client.request('Subscribe', { exchange, routing_key: routingKey });
  assert.equal(reply.event, 'Subscribed', JSON.stringify(reply));
}

// Subscribing answers before the node's broker subscription is in place, and another node's
// events go through the broker. So: publish through `node` until every client has had one such
// event, then a marker; each client drains what came before the marker. Afterwards the topic's
// subscriptions hold on every node, and no client has an application event queued.
export async function settle(node, clients, exchange, routingKey) {
  await settleWith(clients, (event, payload) => publish(node, { exchange, routing_key: routingKey, event, payload }),
    `${exchange}/${routingKey}`);
}

// The same for any way of sending: `post(event, payload)` resolves with { status, body }.
export async function settleWith(clients, post, what) {
  const id = `${process.pid}-${++names}`;
  const arrived = clients.map(() => false);
  clients.forEach((client, i) => {
    client.next((m) => m.event === 'herald.settle' && m.payload?.id === id, 'a settle event', 30000)
      .then(() => { arrived[i] = true; }, () => {});
  });
  let n = 0;
  await eventually(async () => {
    const sent = await post('herald.settle', { id, n: n++ });
    assert.equal(sent.status, 202, JSON.stringify(sent.body));
    return arrived.every(Boolean);
  }, `every client gets events sent to ${what} (arrived: ${arrived})`, 30000);
  const marker = await post('herald.settled', { id });
  assert.equal(marker.status, 202);
  await Promise.all(clients.map(async (client) => {
    for (;;) {
      const m = await nextEvent(client, 'the settled marker');
      if (m.event === 'herald.settled' && m.payload.id === id) return;
      assert.equal(m.event, 'herald.settle', `only settle events come before the marker, got ${JSON.stringify(m)}`);
    }
  }));
}

// --- back ends publishing straight into the broker ---------------------------------------------

async function python3(script, args) {
  try {
    const { stdout } = await run(python, [join(publishers, script), ...args], { timeout: 30000, killSignal: 'SIGKILL' });
    return stdout;
  } catch (error) {
    throw new Error(`${script} failed: ${error.message}\n${error.stdout ?? ''}${error.stderr ?? ''}`);
  }
}

// The Redis channel of a topic, as Herald maps it by default: "{exchange}:{routing_key}".
export const redisChannel = (exchange, routingKey) => `${exchange}:${routingKey}`;

// Publishes `bodies` (strings, sent as they are, in order) to (exchange, routing key) on the
// bus's broker, the way a back end does: RabbitMQ basic_publish with no properties; Redis
// PUBLISH on the topic's channel (or `channel`). `via` is 'python' or 'node'. Resolves once the broker took
// them; for redis with the receiver counts PUBLISH answered, one per body.
export async function brokerPublish(bus, { via, exchange, routingKey, bodies, channel = redisChannel(exchange, routingKey) }) {
  if (bus.name === 'amqp') {
    if (via === 'python') {
      await python3('amqp_publish.py', [bus.url, exchange, routingKey, ...bodies]);
    } else {
      const connection = await within(10000, amqplib.connect(bus.url), 'amqplib to connect');
      try {
        const channel = await connection.createConfirmChannel();
        for (const body of bodies) channel.publish(exchange, routingKey, Buffer.from(body));
        await within(10000, channel.waitForConfirms(), 'the broker to confirm');
      } finally {
        await connection.close();
      }
    }
    return [];
  }
  if (via === 'python') {
    return (await python3('redis_publish.py', [bus.url, channel, ...bodies])).trim().split('\n').map(Number);
  }
  return withRedis(bus.url, async (client) => {
    const counts = [];
    for (const body of bodies) counts.push(await client.publish(channel, body));
    return counts;
  });
}

// A back end's consumer of an exchange of Herald's own (the lifecycle exchange): a queue bound
// with '#' on RabbitMQ (the node declared the exchange at connect), PSUBSCRIBE "<exchange>:*" on
// Redis. next(match) resolves with the first wanted message, in arrival order.
export async function consume(bus, exchange) {
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
    await channel.checkExchange(exchange);
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

export async function withRedis(url, f) {
  const client = createClient({ url, socket: { reconnectStrategy: false, connectTimeout: 5000 } });
  client.on('error', () => {}); // a failure rejects the call that hit it
  await within(10000, client.connect(), 'node-redis to connect');
  try {
    return await within(10000, f(client), 'node-redis');
  } finally {
    await client.close();
  }
}

// rabbitmqctl against the test node (through scripts/brokers, which knows its HOME, cookie and
// epmd). Each call boots an Erlang VM: about 1.5 s. Resolves with the rows, tab-separated
// fields, without headers.
export async function rabbitmqctl(...args) {
  const dir = brokersDir();
  if (!dir) throw new Error('HERALD_TEST_BROKERS_DIR is not set: rabbitmqctl needs the brokers\' directory');
  try {
    const { stdout } = await run('bash', [brokersScript, 'rabbitmqctl', dir, '--quiet', ...args, '--no-table-headers'],
      { timeout: 60000, killSignal: 'SIGKILL' });
    return stdout.split('\n').filter(Boolean).map((line) => line.split('\t'));
  } catch (error) {
    throw new Error(`rabbitmqctl ${args.join(' ')} failed: ${error.message}\n${error.stdout ?? ''}${error.stderr ?? ''}`);
  }
}

// --- sharing the brokers between test files -----------------------------------------------------

// node --test runs two test files at once, and all of them share one RabbitMQ and one redis. A
// file that needs a broker up holds it shared; a test that stops it holds it exclusive, which
// waits until no other file holds that broker and keeps others from starting meanwhile. Holds
// are files in DIR/locks/<bus> named after the holding process, so a holder that crashed (its
// process gone) holds nothing. Without HERALD_TEST_BROKERS_DIR there is nothing to share: the
// hold is a no-op. Each resolves with its release function. Polls the lock files, bounded.
const lockDir = (bus) => join(brokersDir(), 'locks', bus.name);

function holders(bus, kind, except) {
  const out = [];
  for (const name of readdirSync(lockDir(bus))) {
    const [k, pid] = name.split('.');
    if (k !== kind || name === except) continue;
    try {
      process.kill(Number(pid), 0);
      out.push(name);
    } catch (error) {
      if (error.code === 'ESRCH') rmSync(join(lockDir(bus), name), { force: true }); // its process is gone
      else out.push(name);
    }
  }
  return out;
}

const holderNames = (bus, files) => files.map((f) => {
  try { return readFileSync(join(lockDir(bus), f), 'utf8'); } catch { return f; }
}).join(', ');

async function hold(bus, kind, what, ms) {
  if (!brokersDir()) return () => {};
  mkdirSync(lockDir(bus), { recursive: true });
  const name = `${kind}.${process.pid}.${++names}`;
  const file = join(lockDir(bus), name);
  let waitingFor = [];
  try {
    await eventually(() => {
      writeFileSync(file, what);
      waitingFor = holders(bus, 'exclusive', name);
      if (waitingFor.length === 0) return true;
      rmSync(file, { force: true }); // back off: the exclusive holder goes first
      return false;
    }, `${what} may use ${bus.broker}`, ms);
    if (kind === 'exclusive') {
      await eventually(() => (waitingFor = holders(bus, 'shared', name)).length === 0,
        `the other test files release ${bus.broker}`, ms);
    }
  } catch (error) {
    rmSync(file, { force: true });
    throw new Error(`${error.message} (held by ${holderNames(bus, waitingFor)})`);
  }
  return () => rmSync(file, { force: true });
}

export const shareBroker = (bus, what) => hold(bus, 'shared', what, 300000);
export const takeBroker = (bus, what) => hold(bus, 'exclusive', what, 300000);

// --- nginx -------------------------------------------------------------------------------------

const nginxBinary = '/usr/sbin/nginx';
export const nginxAvailable = () => existsSync(nginxBinary);

async function freePort() {
  const server = net.createServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

// Debian's nginx in front of `nodes`, configured as Piped's README shows (an upstream with the
// nodes; proxy_http_version 1.1; Upgrade and Connection "upgrade" headers), on 127.0.0.1 and a
// free port, with every file in a temp dir. Resolves once it accepts connections.
export async function startNginx(nodes) {
  for (let attempt = 1; ; attempt++) {
    const dir = mkdtempSync(join(tmpdir(), 'herald-nginx-'));
    const port = await freePort();
    writeFileSync(join(dir, 'nginx.conf'), `
worker_processes 1;
${process.getuid?.() === 0 ? 'user root;' : ''}
error_log ${dir}/error.log notice;
pid ${dir}/nginx.pid;
worker_shutdown_timeout 5s;
events { worker_connections 512; }
http {
  access_log ${dir}/access.log;
  client_body_temp_path ${dir}/client_body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;

  upstream herald-nodes {
${nodes.map((node) => `    server 127.0.0.1:${node.port};`).join('\n')}
  }

  server {
    listen 127.0.0.1:${port};
    location / {
      proxy_pass http://herald-nodes;
      proxy_http_version 1.1;
      proxy_set_header Upgrade $http_upgrade;
      proxy_set_header Connection "upgrade";
      proxy_set_header Host $host;
      proxy_cache_bypass $http_upgrade;
    }
  }
}
`);
    const child = spawn(nginxBinary, ['-e', `${dir}/error.log`, '-p', `${dir}/`, '-c', `${dir}/nginx.conf`, '-g', 'daemon off;'],
      { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk) => { output += chunk; });
    child.stderr.on('data', (chunk) => { output += chunk; });
    const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
    let gone = null;
    exited.then((result) => { gone = result; });
    const log = () => `${output}${existsSync(join(dir, 'error.log')) ? readFileSync(join(dir, 'error.log'), 'utf8') : ''}`;
    try {
      await eventually(async () => {
        if (gone) return true;
        return new Promise((resolve) => {
          const socket = net.connect(port, '127.0.0.1');
          socket.once('connect', () => { socket.destroy(); resolve(true); });
          socket.once('error', () => resolve(false));
        });
      }, `nginx to listen on 127.0.0.1:${port}`, 10000);
    } catch (error) {
      child.kill('SIGKILL');
      await exited;
      throw new Error(`${error.message}\n${log()}`);
    }
    if (gone) {
      const text = log();
      rmSync(dir, { recursive: true, force: true });
      if (attempt < 3 && /Address already in use/.test(text)) continue; // the port was taken meanwhile
      throw new Error(`nginx exited (${gone.code ?? gone.signal}) at start:\n${text}`);
    }
    return {
      port,
      pid: child.pid,
      wsUrl: (path = '/pushwss') => `ws://127.0.0.1:${port}${path}`,
      url: (path = '/') => `http://127.0.0.1:${port}${path}`,
      get log() { return log(); },
      // SIGQUIT (graceful: workers finish what they serve, at most worker_shutdown_timeout),
      // then wait for the master to exit; SIGKILL only if it does not.
      async stop() {
        if (!gone) child.kill('SIGQUIT');
        const result = await within(15000, exited, 'nginx to exit').catch(async (error) => {
          child.kill('SIGKILL');
          await exited;
          throw error;
        });
        rmSync(dir, { recursive: true, force: true });
        return result;
      },
    };
  }
}

// --- identities ----------------------------------------------------------------------------------

// A back end whose Login action registers the session as the identity in its payload, with
// `options` (lifetime, max_connections); the nodes need [backend] actions = ["Login"].
export const startLoginBackend = (options = {}) => startHttpBackend((r) => ({
  event: 'LoggedIn', commands: [{ command: 'register_as', identity: r.payload.identity, lifetime: 600, ...options }],
}));

// Notifies `identity` of one message per number, {"event":"Mail","payload":{"i":number}}, in
// order, each stored (202).
export async function notifyAll(node, identity, numbers) {
  for (const i of numbers) {
    assert.deepEqual(await notify(node, { identity, event: 'Mail', payload: { i } }), { status: 202, body: { notified: true } });
  }
}

// A Myxi client on `node` that has logged in as `identity`.
export async function login(node, identity) {
  const client = await connectMyxi(node);
  assert.equal((await client.request('Login', { identity })).event, 'LoggedIn');
  return client;
}
