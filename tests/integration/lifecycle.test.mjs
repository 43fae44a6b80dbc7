// Lifecycle events ([lifecycle]): back ends learn who connects, authenticates, subscribes,
// unsubscribes and leaves, on the bus or posted to the back end.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startHerald, connectMyxi } from '../lib/herald.mjs';
import { startHttpBackend } from '../lib/http_backend.mjs';
import { signJwt, now } from '../lib/jwt.mjs';

const secret = 'a-test-secret-of-enough-length';

test('on the bus, each change of a session is an event on the lifecycle exchange, named by its routing key', async () => {
  const node = await startHerald({
    config: `
[auth]
jwt_secret = "${secret}"
[exchanges.news]
access = "public"
[exchanges."herald.lifecycle"]
access = "public"
type = "topic"
[lifecycle]
exchange = "herald.lifecycle"
`,
  });
  const watcher = await connectMyxi(node);
  assert.equal((await watcher.request('Subscribe', { exchange: 'herald.lifecycle', routing_key: '#' })).event, 'Subscribed');
  const client = await connectMyxi(node);
  const id = client.welcome.payload.id;
  const next = async (name) => {
    const m = await watcher.next((e) => e.event === name && e.payload.session === id, `${name} of the client`);
    assert.equal(m.mq.e, 'herald.lifecycle');
    assert.equal(m.mq.rk, name);
    return m.payload;
  };
  const connected = await next('connected');
  assert.equal(connected.endpoint, '/pushwss');
  assert.equal(connected.dialect, 'myxi');
  assert.equal(connected.remote_address, '127.0.0.1');
  assert.equal(connected.identity, null);

  await client.request('Authenticate', { token: signJwt({ sub: 'user-1', exp: now() + 600 }, { secret }) });
  assert.deepEqual((await next('authenticated')).identity, { subject: 'user-1', grants: [] });
  await client.request('Subscribe', { exchange: 'news', routing_key: 'a' });
  const subscribed = await next('subscribed');
  assert.deepEqual([subscribed.exchange, subscribed.routing_key, subscribed.identity.subject], ['news', 'a', 'user-1']);
  await client.request('Unsubscribe', { exchange: 'news', routing_key: 'a' });
  assert.equal((await next('unsubscribed')).routing_key, 'a');
  client.ws.close(1000);
  const gone = await next('disconnected');
  assert.deepEqual([gone.code, gone.reason, gone.identity.subject], [1000, 'client', 'user-1']);
  await watcher.close();
  assert.equal((await node.stop()).code, 0);
});

test('the lifecycle exchange is closed to clients unless declared, even when no exchange is', async () => {
  const node = await startHerald({ config: '[lifecycle]\n' });
  const client = await connectMyxi(node);
  const denied = await client.request('Subscribe', { exchange: 'herald.lifecycle', routing_key: '#' });
  assert.equal(denied.payload.error, 'SubscriptionDenied');
  assert.equal((await client.request('Subscribe', { exchange: 'anything', routing_key: 'x' })).event, 'Subscribed');
  await client.close();
  assert.equal((await node.stop()).code, 0);
});

test('to = "backend" posts each event to the back end, and events = [...] picks them', async () => {
  const backend = await startHttpBackend(() => ({}));
  const node = await startHerald({
    config: `
[backend]
url = "${backend.url}"
[lifecycle]
to = "backend"
events = ["connected", "disconnected"]
`,
  });
  const client = await connectMyxi(node);
  await client.request('Subscribe', { exchange: 'news', routing_key: 'a' });
  await client.close();
  const [connected, disconnected] = await backend.received(2);
  assert.equal(connected.kind, 'lifecycle');
  assert.equal(connected.event, 'connected');
  assert.equal(connected.session, client.welcome.payload.id);
  assert.equal(disconnected.event, 'disconnected');
  assert.equal(disconnected.reason, 'client');
  assert.equal(backend.requests.length, 2, 'subscribed is not among the events asked for');
  assert.equal((await node.stop()).code, 0);
  await backend.stop();
});
