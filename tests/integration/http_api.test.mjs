// HTTP on the WebSocket port: health, readiness, metrics, the publish API and its errors.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { isDeepStrictEqual } from 'node:util';
import { startHerald, connectMyxi, publish, metrics, within, eventually } from '../lib/herald.mjs';

let node;
before(async () => {
  node = await startHerald({ config: '[exchanges.w]\naccess = "public"\n[limits]\nmax_http_body_bytes = 4096\n' });
});
after(async () => assert.equal((await node.stop()).code, 0));

test('healthz and readyz answer 200 with JSON', async () => {
  const health = await fetch(node.url('/healthz'));
  assert.equal(health.status, 200);
  assert.deepEqual(await health.json(), { status: 'ok' });
  const ready = await fetch(node.url('/readyz'));
  assert.equal(ready.status, 200);
  assert.deepEqual(await ready.json(), { status: 'ready' });
});

test('publish answers 202 with the count, for one event or an array', async () => {
  assert.deepEqual(await publish(node, { exchange: 'w', routing_key: 'k', event: 'E', payload: {} }), { status: 202, body: { published: 1 } });
  const many = await publish(node, [1, 2, 3].map((i) => ({ exchange: 'w', routing_key: i, event: 'E', payload: i })));
  assert.deepEqual(many, { status: 202, body: { published: 3 } });
});

test('the payload bytes reach clients unchanged', async () => {
  const client = await connectMyxi(node);
  await client.request('Subscribe', { exchange: 'w', routing_key: 'bytes' });
  const raw = '{"exchange":"w","routing_key":"bytes","event":"E","payload":{ "b" : 1.50,  "s":"\\u00e9" }}';
  // Listen before publishing: the event may arrive before publish() returns.
  const arrived = new Promise((resolve) => client.ws.once('message', (d) => resolve(d.toString())));
  assert.equal((await publish(node, null, { raw })).status, 202);
  const text = await within(10000, arrived, 'the event');
  assert.equal(text, '{"event":"E","payload":{ "b" : 1.50,  "s":"\\u00e9" },"mq":{"e":"w","rk":"bytes"}}');
  await client.close();
});

test('a malformed body is 400 with an error and the field that is wrong', async () => {
  const notJson = await publish(node, null, { raw: '{"exchange":' });
  assert.equal(notJson.status, 400);
  assert.equal(notJson.body.error, 'invalid_json');
  const badField = await publish(node, { exchange: 'w', routing_key: null, event: 'E' });
  assert.equal(badField.status, 400);
  assert.deepEqual(badField.body, { error: 'invalid_field', detail: '.routing_key must be a string or a number' });
  const noEvent = await publish(node, [{ exchange: 'w', routing_key: 'k', event: 'E' }, { exchange: 'w', routing_key: 'k' }]);
  assert.equal(noEvent.body.detail, '[1].event must be a non-empty string');
});

test('an exchange the config does not declare is 400 unknown_exchange, and nothing is published', async () => {
  const client = await connectMyxi(node);
  await client.request('Subscribe', { exchange: 'w', routing_key: 'batch' });
  const before = await metrics(node);
  const single = await publish(node, { exchange: 'nope', routing_key: 'k', event: 'E' });
  assert.deepEqual(single, { status: 400, body: { error: 'unknown_exchange', detail: '.exchange "nope" is not declared' } });
  const batch = await publish(node, [
    { exchange: 'w', routing_key: 'batch', event: 'first' },
    { exchange: 'nope', routing_key: 'k', event: 'E' },
  ]);
  assert.equal(batch.status, 400);
  assert.equal(batch.body.detail, '[1].exchange "nope" is not declared');
  // The events of one topic arrive in the order they were published: had the rejected batch
  // published 'first', it would reach the client before this marker.
  assert.equal((await publish(node, { exchange: 'w', routing_key: 'batch', event: 'marker' })).status, 202);
  const firstEvent = await client.next((m) => m.mq !== undefined, 'the first event on w/batch');
  assert.equal(firstEvent.event, 'marker', 'a batch is all or nothing');
  const published = (await metrics(node)).get('herald_events_published_total') - before.get('herald_events_published_total');
  assert.equal(published, 1, 'the marker is the only event published since the rejected requests');
  await client.close();
});

test('a missing key is 401 and a wrong key is 403', async () => {
  const missing = await publish(node, { exchange: 'w', routing_key: 'k', event: 'E' }, { key: null });
  assert.equal(missing.status, 401);
  assert.equal(missing.body.error, 'unauthorized');
  const wrong = await publish(node, { exchange: 'w', routing_key: 'k', event: 'E' }, { key: 'guess' });
  assert.equal(wrong.status, 403);
  assert.equal(wrong.body.error, 'forbidden');
});

test('the Bearer scheme is case-insensitive, as RFC 7235 says', async () => {
  const response = await fetch(node.url('/api/publish'), {
    method: 'POST',
    headers: { authorization: 'bearer test-key' },
    body: JSON.stringify({ exchange: 'w', routing_key: 'k', event: 'E' }),
  });
  assert.equal(response.status, 202);
});

test('a body over max_http_body_bytes is 413', async () => {
  const big = await publish(node, { exchange: 'w', routing_key: 'k', event: 'E', payload: 'x'.repeat(5000) });
  assert.equal(big.status, 413);
  assert.equal(big.body.error, 'body_too_large');
});

test('unknown paths are 404, wrong methods 405, plain GET on an endpoint 426', async () => {
  const missing = await fetch(node.url('/nothing'));
  assert.equal(missing.status, 404);
  assert.equal((await missing.json()).error, 'not_found');
  const method = await fetch(node.url('/api/publish'));
  assert.equal(method.status, 405);
  assert.equal(method.headers.get('allow'), 'POST');
  const upgrade = await fetch(node.url('/pushwss'));
  assert.equal(upgrade.status, 426);
});

test('a WebSocket upgrade on a path that is no endpoint is 404 not_an_endpoint, even on /', async () => {
  for (const path of ['/', '/elsewhere']) {
    const socket = net.connect(node.port, '127.0.0.1');
    socket.write(`GET ${path} HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
      'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n');
    let text = '';
    socket.on('data', (d) => { text += d; });
    await within(5000, new Promise((resolve) => socket.on('close', resolve)), 'the answer');
    assert.match(text, /^HTTP\/1\.1 404/, path);
    assert.equal(JSON.parse(text.slice(text.indexOf('\r\n\r\n') + 4)).error, 'not_an_endpoint', path);
  }
});

test('a broken upgrade request is 400 bad_handshake', async () => {
  const socket = net.connect(node.port, '127.0.0.1');
  socket.write('GET /pushwss HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n\r\n');
  let text = '';
  socket.on('data', (d) => { text += d; });
  await within(5000, new Promise((resolve) => socket.on('close', resolve)), 'the server to answer and close');
  assert.match(text, /^HTTP\/1.1 400/);
  assert.match(text, /"error":"bad_handshake"/);
});

// On a node of its own: the fetch() calls of the tests above leave keep-alive connections
// that close on the client's idle timer (4 s), which would move herald_connections mid-test.
// Each step asserts the exact change its own action makes, from the scrape before it.
test('metrics count exactly what one client does: its connection, session, subscription, actions and event', async () => {
  const own = await startHerald({ config: '[exchanges.w]\naccess = "public"\n' });
  const action = (name, result) => `herald_actions_total{dialect="myxi",action="${name}",result="${result}"}`;
  // Scrapes until the named metrics have moved from `from` by `expected` (the server counts an
  // action a moment after the client sees its effect), then asserts it, so a failure shows the
  // changes it saw. Returns the scrape, the next step's starting point.
  const changes = async (from, expected, what) => {
    let scrape;
    let seen;
    const delta = (name) => scrape.get(name) - from.get(name);
    await eventually(async () => {
      scrape = await metrics(own);
      seen = Object.fromEntries(Object.keys(expected).map((name) => [name, delta(name)]));
      return isDeepStrictEqual(seen, expected);
    }, what, 3000).catch((error) => { if (!seen) throw error; });
    assert.deepEqual(seen, expected, what);
    return scrape;
  };
  try {
    const start = await metrics(own);

    const client = await connectMyxi(own);
    const connected = await changes(start, {
      'herald_connections': 1,
      'herald_sessions{endpoint="/pushwss"}': 1,
      'herald_subscriptions': 0,
    }, 'a connected client is one connection and one session');

    assert.equal((await client.request('Subscribe', { exchange: 'w', routing_key: 'm' })).event, 'Subscribed');
    assert.equal((await client.request('Subscribe', { exchange: 'nope', routing_key: 'm' })).event, 'Error');
    const subscribed = await changes(connected, {
      [action('Subscribe', 'ok')]: 1,
      [action('Subscribe', 'error')]: 1,
      'herald_subscriptions': 1,
      'herald_sessions{endpoint="/pushwss"}': 0,
    }, 'one Subscribe that succeeds and one that fails: one subscription');

    let frameBytes = 0;  // the WebSocket frames the server sends from here on: header and payload
    client.ws.on('message', (data) => { frameBytes += data.length + (data.length < 126 ? 2 : data.length < 65536 ? 4 : 10); });
    // A large event: its frame outweighs the HTTP answers that bytes out counts as well (each
    // scrape's own among them), so the check below fails if WebSocket output is not counted.
    const text = 'x'.repeat(32 * 1024);
    assert.equal((await publish(own, { exchange: 'w', routing_key: 'm', event: 'E', payload: { text } })).status, 202);
    await client.next('E');
    const delivered = await changes(subscribed, {
      'herald_events_published_total': 1,
      'herald_deliveries_total': 1,
      'herald_events_dropped_total': 0,
    }, 'one event to one subscriber: one delivery');
    const bytesOut = delivered.get('herald_bytes_out_total') - subscribed.get('herald_bytes_out_total');
    assert.ok(frameBytes > 0 && bytesOut >= frameBytes, `bytes out grew by ${bytesOut}, at least the ${frameBytes} bytes of the event`);

    client.sendRaw('not json');
    await client.next((msg) => msg.payload?.error === 'InvalidJSON', 'the InvalidJSON error');
    assert.equal((await client.request('NoSuchAction', {})).payload.error, 'InvalidAction');
    const refused = await changes(delivered, {
      'herald_protocol_errors_total{code="invalid_json"}': 1,
      'herald_protocol_errors_total{code="invalid_action"}': 1,
      [action('other', 'error')]: 1,
      [action('Subscribe', 'ok')]: 0,
      [action('Subscribe', 'error')]: 0,
    }, 'a text that is not JSON and an unknown action: one protocol error each');

    await client.close();
    await changes(refused, {
      'herald_sessions{endpoint="/pushwss"}': -1,
      'herald_subscriptions': -1,
    }, 'closing the client gives back its session and its subscription');
    await changes(start, {
      'herald_sessions{endpoint="/pushwss"}': 0,
      'herald_subscriptions': 0,
      'herald_slow_consumer_closes_total': 0,
      'herald_events_dropped_total': 0,
    }, 'after the client, the node is as it started');
  } finally {
    assert.equal((await own.stop()).code, 0);
  }
});

test('the demo page is served at /', async () => {
  const page = await fetch(node.url('/'));
  assert.equal(page.status, 200);
  assert.match(page.headers.get('content-type'), /text\/html/);
  assert.match(await page.text(), /pushwss/);
});
