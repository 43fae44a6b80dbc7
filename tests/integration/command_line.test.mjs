// The herald command: --help, bad flags and keys, port and bind precedence, `herald publish`
// and `herald send`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import net from 'node:net';
import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startHerald, connectMyxi, within } from '../lib/herald.mjs';

const binary = process.env.HERALD_BIN ?? new URL('../../build/dev/herald', import.meta.url).pathname;
const run = (args, env = {}) => spawnSync(binary, args, { encoding: 'utf8', env: { ...process.env, ...env }, timeout: 20000 });

test('--help describes the flags and the publish and send commands', () => {
  const result = run(['--help']);
  assert.equal(result.status, 0);
  for (const flag of ['--config', '--port', '--bind', '--threads', '--node-id', '--shutdown-time', 'publish', 'send']) {
    assert.ok(result.stdout.includes(flag), flag);
  }
});

test('a bad flag fails at start with one line naming it', () => {
  const result = run(['--no-such-flag']);
  assert.equal(result.status, 2);
  const lines = result.stderr.trim().split('\n');
  assert.equal(lines.length, 1);
  assert.match(lines[0], /--no-such-flag/);
});

test('a bad config key or value fails at start with one line naming it', () => {
  const dir = mkdtempSync(join(tmpdir(), 'herald-cli-'));
  for (const [text, key] of [
    ['prot = 5005\n', 'prot'],
    ['[limits]\nmax_message_bytes = "big"\n', 'limits.max_message_bytes'],
    ['[exchanges.w]\naccess = "sometimes"\n', 'exchanges.w.access'],
    ['port = \n', 'herald.toml'],
    ['bind = "localhost"\n', 'bind'],
    ['[[endpoints]]\npath = "/metrics"\n', 'endpoints[0].path'],
    ['[[endpoints]]\npath = "/live/*/x"\n', 'endpoints[0].path'],
    ['[[endpoints]]\npath = "/live*"\n', 'endpoints[0].path'],
    ['[auth]\njwt_public_key = "x"\njwt_public_key_file = "/etc/hostname"\n', 'jwt_public_key'],
    ['[auth]\njwt_public_key = "not a key"\n', 'auth.jwt_public_key'],
    ['[exchanges.w]\nchannel = "{exchange}"\n', 'exchanges.w.channel'],
    ['[exchanges.w]\ntype = "headers"\n', 'exchanges.w.type'],
    ['[bus]\nurl = 5\n', 'bus.url'],
    // A dialect's own keys: unknown ones, wrong values, and one of Plezi's on another dialect.
    ['[[endpoints]]\npath = "/p"\ndialect = "plezi"\nautodispatch = true\n', 'endpoints[0].autodispatch'],
    ['[[endpoints]]\npath = "/p"\ndialect = "plezi"\nunknown_event = "ignore"\n', 'endpoints[0].unknown_event'],
    ['[[endpoints]]\npath = "/p"\ndialect = "plezi"\nauto_dispatch = "yes"\n', 'endpoints[0].auto_dispatch'],
    ['[[endpoints]]\nauto_dispatch = true\npath = "/p"\ndialect = "myxi"\n', 'endpoints[0].auto_dispatch'],
    ['[[endpoints]]\npath = "/p"\ndialect = "plezi"\ncontroller = ""\n', 'endpoints[0].controller'],
  ]) {
    const file = join(dir, 'herald.toml');
    writeFileSync(file, text);
    const result = run(['--config', file, '--port', '0']);
    assert.equal(result.status, 2, text);
    const lines = result.stderr.trim().split('\n');
    assert.equal(lines.length, 1, result.stderr);
    assert.ok(lines[0].includes(key), `${lines[0]} names ${key}`);
  }
});

// A port free right now: the kernel picks it for a throwaway listener.
async function freePort() {
  const server = net.createServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

// Starts herald with no port or bind address from the environment but `env`, waits for its
// listening line and returns the address it names and what it logged until then, with a stop()
// that ends it by PID.
async function startListening(args, env) {
  const child = spawn(binary, ['--threads', '1', ...args], {
    env: { ...process.env, HERALD_PORT: '', MYXI_PORT: '', MIXI_PORT: '', PORT: '', MYXI_BIND_ADDRESS: '', ...env },
  });
  let output = '';
  const exited = new Promise((resolve) => child.on('exit', resolve));
  const [host, port] = await within(15000, new Promise((resolve, reject) => {
    child.stderr.on('data', (d) => {
      output += d;
      const match = /listening on http:\/\/([^\s]+):(\d+)/.exec(output);
      if (match) resolve([match[1], Number(match[2])]);
    });
    exited.then(() => reject(new Error(`herald exited: ${output}`)));
  }), 'the listening line');
  return { host, port, log: output, stop: async () => { child.kill('SIGTERM'); await exited; } };
}

async function listeningPort(args, env) {
  const node = await startListening(['--bind', '127.0.0.1', ...args], env);
  await node.stop();
  return node.port;
}

// Resolves true when a TCP connection to host:port is accepted, false when it is refused.
function accepts(host, port) {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port }, () => { socket.destroy(); resolve(true); });
    socket.on('error', () => resolve(false));
  });
}

test('the port comes from --port, else HERALD_PORT, else MYXI_PORT, else MIXI_PORT, else PORT', async () => {
  const [a, b, c, d, e] = [await freePort(), await freePort(), await freePort(), await freePort(), await freePort()];
  assert.equal(await listeningPort(['--port', String(a)], { HERALD_PORT: String(b), MYXI_PORT: String(c), PORT: String(d) }), a);
  assert.equal(await listeningPort([], { HERALD_PORT: String(b), MYXI_PORT: String(c), PORT: String(d) }), b);
  assert.equal(await listeningPort([], { MYXI_PORT: String(c), PORT: String(d) }), c);
  assert.equal(await listeningPort([], { MIXI_PORT: String(e), PORT: String(d) }), e);
  assert.equal(await listeningPort([], { PORT: String(d) }), d);
});

test('herald publish delivers an event through the HTTP API', async () => {
  const node = await startHerald({ config: '[exchanges.demo]\naccess = "public"\n' });
  try {
    const client = await connectMyxi(node);
    await client.request('Subscribe', { exchange: 'demo', routing_key: 'clock' });
    const result = run(['publish', '--url', node.url(''), '--api-key', 'test-key', '--exchange', 'demo',
      '--routing-key', 'clock', '--event', 'hello', '--payload', '{"from":"shell"}']);
    assert.equal(result.status, 0, result.stderr);
    assert.deepEqual(JSON.parse(result.stdout), { published: 1 });
    const event = await client.next('hello');
    assert.deepEqual(event.payload, { from: 'shell' });

    const fullPath = run(['publish', '--url', node.url('/api/publish'), '--api-key', 'test-key', '--exchange', 'demo',
      '--routing-key', 'clock', '--event', 'again']);
    assert.equal(fullPath.status, 0, fullPath.stderr);
    assert.equal((await client.next('again')).event, 'again');

    const refused = run(['publish', '--url', node.url(''), '--api-key', 'wrong', '--exchange', 'demo',
      '--routing-key', 'clock', '--event', 'hello']);
    assert.equal(refused.status, 1);
    const notHttp = run(['publish', '--url', 'https://127.0.0.1:1', '--exchange', 'demo', '--routing-key', 'clock', '--event', 'x']);
    assert.equal(notHttp.status, 2);
    assert.match(notHttp.stderr, /--url/);
    await client.close();
  } finally {
    await node.stop();
  }
});

test('herald send delivers an event to sessions through the HTTP API', async () => {
  const node = await startHerald();
  try {
    const [a, b] = [await connectMyxi(node), await connectMyxi(node)];
    const one = run(['send', '--url', node.url(''), '--api-key', 'test-key', '--session', b.welcome.payload.id,
      '--event', 'only-b', '--payload', '{"from":"shell"}']);
    assert.equal(one.status, 0, one.stderr);
    assert.deepEqual(JSON.parse(one.stdout), { sent: 1 });
    assert.deepEqual((await b.next('only-b')).payload, { from: 'shell' });

    const skipping = run(['send', '--url', node.url(''), '--api-key', 'test-key', '--endpoint', '/pushwss',
      '--skip', b.welcome.payload.id, '--event', 'not-b']);
    assert.equal(skipping.status, 0, skipping.stderr);
    const all = run(['send', '--url', node.url(''), '--api-key', 'test-key', '--all', '--event', 'everyone']);
    assert.equal(all.status, 0, all.stderr);
    assert.equal((await a.next((m) => m.mq !== undefined, 'an event')).event, 'not-b');
    assert.equal((await a.next((m) => m.mq !== undefined, 'an event')).event, 'everyone');
    assert.equal((await b.next((m) => m.mq !== undefined, 'an event')).event, 'everyone');

    const gone = run(['send', '--url', node.url(''), '--api-key', 'test-key', '--session',
      `${a.welcome.payload.id.slice(0, 4)}000000000000`, '--event', 'x']);
    assert.equal(gone.status, 1);
    assert.equal(JSON.parse(gone.stdout).error, 'failed_unicast');
    for (const ambiguous of [['--all', '--identity', 'ann'], [], ['--all', '--skip', a.welcome.payload.id]]) {
      const refused = run(['send', '--url', node.url(''), ...ambiguous, '--event', 'x']);
      assert.equal(refused.status, 2, ambiguous.join(' '));
      assert.match(refused.stderr, /exactly one/);
    }
    await Promise.all([a.close(), b.close()]);
  } finally {
    await node.stop();
  }
});

test('the bind address comes from --bind, else MYXI_BIND_ADDRESS, else all interfaces', async () => {
  const port = String(await freePort());
  const flagged = await startListening(['--bind', '127.0.0.3', '--port', port], { MYXI_BIND_ADDRESS: '127.0.0.2' });
  try {
    assert.equal(flagged.host, '127.0.0.3');
    assert.equal(await accepts('127.0.0.3', flagged.port), true);
    assert.equal(await accepts('127.0.0.2', flagged.port), false, 'the variable is overridden');
  } finally {
    await flagged.stop();
  }
  const fromEnvironment = await startListening(['--port', port], { MYXI_BIND_ADDRESS: '127.0.0.2' });
  try {
    assert.equal(fromEnvironment.host, '127.0.0.2');
    assert.equal(await accepts('127.0.0.2', fromEnvironment.port), true);
    assert.equal(await accepts('127.0.0.1', fromEnvironment.port), false, 'only the named address');
  } finally {
    await fromEnvironment.stop();
  }
  const everywhere = await startListening(['--port', port], {});
  try {
    assert.equal(everywhere.host, '0.0.0.0');
    assert.equal(await accepts('127.0.0.1', everywhere.port), true);
    assert.equal(await accepts('127.0.0.2', everywhere.port), true);
  } finally {
    await everywhere.stop();
  }
});

test('settings that are valid but likely wrong are warned about at start', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'herald-warn-'));
  const startWith = async (text) => {
    const file = join(dir, 'herald.toml');
    writeFileSync(file, text);
    const node = await startListening(['--bind', '127.0.0.1', '--port', '0', '--config', file], {});
    await node.stop();
    return node.log;
  };
  const noExchanges = 'no exchanges are declared: every exchange is public';
  const noKey = 'exchanges need authentication but no JWT key is set';
  const open = await startWith('');
  assert.ok(open.includes(noExchanges), open);
  const locked = await startWith('[exchanges.members]\naccess = "authenticated"\n');
  assert.ok(locked.includes(noKey), locked);
  assert.ok(!locked.includes(noExchanges), locked);
  const keyed = await startWith('[exchanges.members]\naccess = "authenticated"\n[auth]\njwt_secret = "s"\n');
  assert.ok(!keyed.includes(noKey), keyed);
});
