// The private RabbitMQ and redis that scripts/test starts once per run (scripts/brokers), for
// the bus tests: their URLs, and outages in the middle of a test (stop, kill, restart; a
// restarted broker comes back on the same port, so the URLs stay valid).
//
// By hand: `scripts/brokers start /tmp/b`, then run the tests with the lines of /tmp/b/env in the
// environment and HERALD_TEST_BROKERS_DIR=/tmp/b; `scripts/brokers stop /tmp/b` afterwards.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);
const script = new URL('../../scripts/brokers', import.meta.url).pathname;

function fromEnv(name) {
  const value = process.env[name];
  if (!value) {
    throw new Error(`${name} is not set: run the tests with make test (scripts/test starts the ` +
      'brokers), or start them with scripts/brokers start DIR and export the lines of DIR/env ' +
      'and HERALD_TEST_BROKERS_DIR=DIR');
  }
  return value;
}

// amqp://guest:guest@127.0.0.1:PORT/
export const amqpUrl = () => fromEnv('HERALD_TEST_AMQP_URL');
// redis://127.0.0.1:PORT/0
export const redisUrl = () => fromEnv('HERALD_TEST_REDIS_URL');
export const brokersDir = () => fromEnv('HERALD_TEST_BROKERS_DIR');

// Runs `scripts/brokers COMMAND DIR ...`; resolves with its output once the command is done (for a
// start: once the broker is ready), rejects with the output on failure.
async function brokers(command, args = [], timeout = 120000) {
  try {
    const { stdout, stderr } = await run('bash', [script, command, brokersDir(), ...args],
      { timeout, killSignal: 'SIGKILL' });
    return stdout + stderr;
  } catch (error) {
    throw new Error(`scripts/brokers ${command} failed: ${error.message}\n${error.stdout ?? ''}` +
      `${error.stderr ?? ''}`);
  }
}

// redis-server: SIGKILL, then started again on the same port; resolves when it answers PING.
// Nothing survives the restart (no persistence).
export const restartRedis = () => brokers('restart-redis', [], 30000);
// redis-server down (SIGTERM, or SIGKILL with { kill: true }) until startRedis().
export const stopRedis = ({ kill = false } = {}) =>
  brokers('stop-redis', kill ? ['--kill'] : [], 30000);
export const startRedis = () => brokers('start-redis', [], 30000);

// The RabbitMQ node down: a clean shutdown (clients get connection.close 320), or with
// { kill: true } SIGKILL to beam.smp (clients see the TCP connection drop). About 1 s.
export const stopRabbit = ({ kill = false } = {}) =>
  brokers('stop-rabbitmq', kill ? ['--kill'] : [], 60000);
// The node again, same port, node name and data dir (durable queues and exchanges survive a
// clean stop). Resolves once it accepts AMQP connections: 5–20 s, up to 90 s on a busy machine.
export const startRabbit = () => brokers('start-rabbitmq', [], 120000);
