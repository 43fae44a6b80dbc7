// The Myxi dialect on /pushwss, end to end: real herald, real WebSocket clients.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { startHerald, connectMyxi, publish, metrics } from '../lib/herald.mjs';

const config = `
[exchanges.widgets]
access = "public"
[exchanges.orders]
access = "public"
`;

let node;
before(async () => { node = await startHerald({ config }); });
after(async () => {
  const { code } = await node.stop();
  assert.equal(code, 0, 'herald exits 0 on SIGTERM');
});

test('a new connection is welcomed with a 16-hex-digit session id', async () => {
  const a = await connectMyxi(node);
  const b = await connectMyxi(node);
  assert.match(a.welcome.payload.id, /^[0-9a-f]{16}$/);
  assert.equal(a.welcome.tag, undefined);
  assert.notEqual(a.welcome.payload.id, b.welcome.payload.id);
  await Promise.all([a.close(), b.close()]);
});

test('session ids embed the node id, so two nodes never hand out the same id', async () => {
  const [one, two] = await Promise.all([
    startHerald({ config, args: ['--node-id', String(0x1234)] }),
    startHerald({ config, args: ['--node-id', String(0xbeef)] }),
  ]);
  try {
    const [a, b] = await Promise.all([connectMyxi(one), connectMyxi(two)]);
    assert.match(a.welcome.payload.id, /^1234[0-9a-f]{12}$/);
    assert.match(b.welcome.payload.id, /^beef[0-9a-f]{12}$/);
    await Promise.all([a.close(), b.close()]);
  } finally {
    for (const n of [one, two]) assert.equal((await n.stop()).code, 0);
  }
});

test('the config maps any path to the Myxi dialect, in place of /pushwss', async () => {
  const mapped = await startHerald({ config: `${config}\n[[endpoints]]\npath = "/live"\ndialect = "myxi"\n[[endpoints]]\npath = "/ws/v1"\n` });
  try {
    const live = await connectMyxi(mapped, '/live');
    const v1 = await connectMyxi(mapped, '/ws/v1');
    assert.equal((await live.request('Subscribe', { exchange: 'widgets', routing_key: 'p' })).event, 'Subscribed');
    const m = await metrics(mapped);
    assert.equal(m.get('herald_sessions{endpoint="/live"}'), 1);
    assert.equal(m.get('herald_sessions{endpoint="/ws/v1"}'), 1);
    assert.equal(await upgradeStatus(mapped, '/pushwss'), 404, 'the default path is replaced');
    await Promise.all([live.close(), v1.close()]);
  } finally {
    assert.equal((await mapped.stop()).code, 0);
  }
});

// 'open' when a WebSocket upgrade to `path` succeeds, else the HTTP status it was refused with.
function upgradeStatus(node, path) {
  return new Promise((resolve) => {
    const ws = new WebSocket(node.wsUrl(path));
    ws.on('unexpected-response', (request, response) => { resolve(response.statusCode); request.destroy(); });
    ws.on('open', () => { resolve('open'); ws.terminate(); });
  });
}

test('an endpoint ending in /* takes every path below it, and /* takes any path, as Myxi 1.4 did', async () => {
  const prefixed = await startHerald({ config: `${config}
[[endpoints]]
path = "/live/*"
[[endpoints]]
path = "/live/exact"
` });
  try {
    for (const path of ['/live', '/live/', '/live/room/7', '/live/exact']) {
      assert.equal(await upgradeStatus(prefixed, path), 'open', path);
    }
    for (const path of ['/lively', '/', '/pushwss']) {
      assert.equal(await upgradeStatus(prefixed, path), 404, path);
    }
    const room = await connectMyxi(prefixed, '/live/room/7?token=x');
    const exact = await connectMyxi(prefixed, '/live/exact');
    const m = await metrics(prefixed);
    assert.equal(m.get('herald_sessions{endpoint="/live/*"}'), 1, 'counted under the prefix endpoint');
    assert.equal(m.get('herald_sessions{endpoint="/live/exact"}'), 1, 'the exact path wins over the prefix');
    await Promise.all([room.close(), exact.close()]);
  } finally {
    assert.equal((await prefixed.stop()).code, 0);
  }

  const anywhere = await startHerald({ config: `${config}
[[endpoints]]
path = "/*"
` });
  try {
    for (const path of ['/', '/pushwss', '/any/path/at/all', '/metrics']) {
      const client = await connectMyxi(anywhere, path);
      assert.equal((await client.request('Subscribe', { exchange: 'widgets', routing_key: 'k' })).event, 'Subscribed', path);
      await client.close();
    }
    const page = await fetch(anywhere.url('/'));
    assert.equal(page.status, 200, 'plain HTTP requests still get the demo page');
    assert.equal((await fetch(anywhere.url('/healthz'))).status, 200, 'and the HTTP API');
  } finally {
    assert.equal((await anywhere.stop()).code, 0);
  }
});

test('a subscriber receives published events with mq, and the reply echoes the tag', async () => {
  const client = await connectMyxi(node);
  const reply = await client.request('Subscribe', { exchange: 'widgets', routing_key: 1234 });
  assert.deepEqual(reply.payload, { exchange: 'widgets', routing_key: 1234 });
  assert.equal(reply.event, 'Subscribed');

  const result = await publish(node, { exchange: 'widgets', routing_key: '1234', event: 'WidgetQtyChanged', payload: { quantity: 5 } });
  assert.equal(result.status, 202);
  const event = await client.next('WidgetQtyChanged');
  assert.deepEqual(event, { event: 'WidgetQtyChanged', payload: { quantity: 5 }, mq: { e: 'widgets', rk: '1234' } });
  await client.close();
});

test('any JSON value works as a tag', async () => {
  const client = await connectMyxi(node);
  for (const tag of [42, 'abc', { a: [1, 2] }, [null, true], 1.5]) {
    client.send('Ping', {}, tag);
    const pong = await client.next('Pong');
    assert.deepEqual(pong.tag, tag);
    assert.equal(typeof pong.payload.time, 'number');
  }
  await client.close();
});

test('events arrive in publish order per exchange and routing key', async () => {
  const client = await connectMyxi(node);
  await client.request('Subscribe', { exchange: 'orders', routing_key: 'seq' });
  const count = 300;
  const batch = Array.from({ length: count }, (_, i) => ({ exchange: 'orders', routing_key: 'seq', event: 'n', payload: { i } }));
  assert.equal((await publish(node, batch.slice(0, 150))).status, 202);
  assert.equal((await publish(node, batch.slice(150))).status, 202);
  for (let i = 0; i < count; i++) {
    const event = await client.next('n');
    assert.equal(event.payload.i, i);
  }
  await client.close();
});

test('routing_keys subscribes each key with one reply per key', async () => {
  const client = await connectMyxi(node);
  const tag = client.send('Subscribe', { exchange: 'widgets', routing_keys: ['a', 'b', 7] });
  const replies = [];
  for (let i = 0; i < 3; i++) replies.push(await client.next((m) => m.tag === tag));
  assert.deepEqual(replies.map((r) => r.payload.routing_key), ['a', 'b', 7]);
  assert.ok(replies.every((r) => r.event === 'Subscribed'));
  const list = await client.request('ListSubscriptions', {});
  assert.equal(list.event, 'YourSubscriptions');
  assert.deepEqual(list.payload.subscriptions.widgets.sort(), ['7', 'a', 'b']);
  await client.close();
});

test('subscription errors carry the tag: unknown exchange, already subscribed', async () => {
  const client = await connectMyxi(node);
  const unknown = await client.request('Subscribe', { exchange: 'nope', routing_key: 'x' });
  assert.equal(unknown.event, 'Error');
  assert.equal(unknown.payload.error, 'InvalidExchangeName');
  assert.equal(unknown.payload.exchange, 'nope');
  const empty = await client.request('Subscribe', { exchange: '', routing_key: 'x' });
  assert.equal(empty.payload.error, 'InvalidExchangeName');

  await client.request('Subscribe', { exchange: 'widgets', routing_key: 'twice' });
  const again = await client.request('Subscribe', { exchange: 'widgets', routing_key: 'twice' });
  assert.equal(again.payload.error, 'AlreadySubscribed');
  assert.equal(again.payload.routing_key, 'twice');
  await client.close();
});

test('unsubscribe one key, a whole exchange, or everything', async () => {
  const client = await connectMyxi(node);
  for (const [exchange, key] of [['widgets', '1'], ['widgets', '2'], ['orders', '3'], ['orders', '4']]) {
    await client.request('Subscribe', { exchange, routing_key: key });
  }
  const one = await client.request('Unsubscribe', { exchange: 'widgets', routing_key: '1' });
  assert.deepEqual(one.payload, { exchange: 'widgets', exchange_name: 'widgets', routing_key: '1', auto: false });

  let tag = client.send('Unsubscribe', { exchange: 'orders' });
  const fromOrders = [await client.next((m) => m.tag === tag), await client.next((m) => m.tag === tag)];
  assert.deepEqual(fromOrders.map((m) => m.payload.routing_key).sort(), ['3', '4']);

  tag = client.send('Unsubscribe', {});
  const rest = await client.next((m) => m.tag === tag);
  assert.equal(rest.payload.exchange_name, 'widgets');
  assert.equal(rest.payload.routing_key, '2');

  const list = await client.request('ListSubscriptions', {});
  assert.deepEqual(list.payload.subscriptions, {});

  await client.request('Subscribe', { exchange: 'widgets', routing_key: 'kept' });
  const none = await client.request('Unsubscribe', { exchange: 'widgets', routing_keys: [] });
  assert.equal(none.payload.error, 'InvalidPayload', 'an empty list never means every key');
  const kept = await client.request('ListSubscriptions', {});
  assert.deepEqual(kept.payload.subscriptions, { widgets: ['kept'] });
  await client.request('Unsubscribe', {});

  await publish(node, { exchange: 'widgets', routing_key: '2', event: 'gone', payload: {} });
  const ping = await client.request('Ping', {});  // everything before the Pong has arrived
  assert.equal(ping.event, 'Pong');
  assert.ok(!client.received.some((m) => m.event === 'gone'), 'no event after unsubscribing');
  await client.close();
});

test('text that is not a JSON object gets InvalidJSON and the session stays open', async () => {
  const client = await connectMyxi(node);
  client.sendRaw('this is not json');
  const error = await client.next('Error');
  assert.deepEqual(error.payload, { error: 'InvalidJSON' });
  assert.equal(error.tag, undefined);
  client.sendRaw('[1,2,3]');
  assert.equal((await client.next('Error')).payload.error, 'InvalidJSON');
  assert.equal((await client.request('Ping', {})).event, 'Pong');
  await client.close();
});

test('an unknown action gets InvalidAction with its tag', async () => {
  const client = await connectMyxi(node);
  const reply = await client.request('SayHello', {});
  assert.equal(reply.event, 'Error');
  assert.equal(reply.payload.error, 'InvalidAction');
  const oddPayload = await client.request('SayHello', { exchange: 5 });
  assert.equal(oddPayload.payload.error, 'InvalidAction', 'the payload of an unknown action is not checked');
  assert.equal((await client.request('Ping', {})).event, 'Pong');
  await client.close();
});

test('a payload field of the wrong type gets InvalidPayload naming the field', async () => {
  const client = await connectMyxi(node);
  const reply = await client.request('Subscribe', { exchange: 'widgets', routing_key: { nested: true } });
  assert.equal(reply.payload.error, 'InvalidPayload');
  assert.match(reply.payload.detail, /routing_key/);
  await client.close();
});

test('binary frames are read as text, as Myxi does', async () => {
  const client = await connectMyxi(node);
  client.ws.send(Buffer.from(JSON.stringify({ action: 'Ping', tag: 'bin' })), { binary: true });
  const pong = await client.next('Pong');
  assert.equal(pong.tag, 'bin');
  await client.close();
});
