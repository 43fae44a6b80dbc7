// The limits struct, each one tested: subscriptions per session, slow consumers, handshake
// timeout, ping interval and idle timeout.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { startHerald, connectMyxi, rawWebSocket, clientFrame, publish, metrics, eventually, within } from '../lib/herald.mjs';

test('subscriptions beyond max_subscriptions_per_session get TooManySubscriptions', async () => {
  const node = await startHerald({ config: '[limits]\nmax_subscriptions_per_session = 2\n' });
  try {
    const client = await connectMyxi(node);
    const tag = client.send('Subscribe', { exchange: 'w', routing_keys: ['1', '2', '3'] });
    const replies = [];
    for (let i = 0; i < 3; i++) replies.push(await client.next((m) => m.tag === tag));
    assert.deepEqual(replies.map((r) => r.event), ['Subscribed', 'Subscribed', 'Error']);
    assert.equal(replies[2].payload.error, 'TooManySubscriptions');
    const again = await client.request('Subscribe', { exchange: 'w', routing_key: '1' });
    assert.equal(again.payload.error, 'AlreadySubscribed', 'at the limit, a held key is still AlreadySubscribed');
    await client.close();
  } finally {
    assert.equal((await node.stop()).code, 0);
  }
});

test('a client that does not read is closed as a slow consumer (4001) and counted', async () => {
  const node = await startHerald({ config: '[limits]\nmax_outbox_bytes = 65536\n', threads: 1 });
  try {
    const slow = await rawWebSocket(node);
    const subscribe = JSON.stringify({ action: 'Subscribe', tag: 1, payload: { exchange: 'flood', routing_key: 'k' } });
    slow.write(clientFrame(1, subscribe));
    await slow.nextFrame((f) => f.opcode === 1 && f.payload.includes('Subscribed'), 'Subscribed');
    slow.socket.pause();  // stop reading: the kernel buffers fill, then herald's outbox
    const event = { exchange: 'flood', routing_key: 'k', event: 'E', payload: 'x'.repeat(60000) };
    await eventually(async () => {
      assert.equal((await publish(node, Array(10).fill(event))).status, 202);
      return (await metrics(node)).get('herald_slow_consumer_closes_total') >= 1;
    }, 'herald closes the slow consumer');
    slow.socket.resume();
    assert.equal((await slow.closeFrame(15000)).code, 4001);
  } finally {
    assert.equal((await node.stop()).code, 0);
  }
});

test('a connection that sends no request is closed after handshake_timeout', async () => {
  const node = await startHerald({ config: '[limits]\nhandshake_timeout_seconds = 1\n' });
  try {
    const socket = net.connect(node.port, '127.0.0.1');
    const started = Date.now();
    await within(5000, new Promise((resolve) => socket.on('close', resolve)), 'the server to close the idle connection');
    assert.ok(Date.now() - started >= 900, 'not before the timeout');
  } finally {
    assert.equal((await node.stop()).code, 0);
  }
});

test('a silent client is pinged, and closed with 4002 after idle_timeout', async () => {
  const node = await startHerald({ config: '[limits]\nping_interval_seconds = 1\nidle_timeout_seconds = 2\n' });
  try {
    const silent = await rawWebSocket(node);
    await silent.nextFrame((f) => f.opcode === 9, 'a ping', 5000);
    assert.equal((await silent.closeFrame(5000)).code, 4002);
    // A client that answers pings (as browsers and ws do) stays connected.
    const lively = await connectMyxi(node);
    await new Promise((resolve) => lively.ws.once('ping', resolve));
    await new Promise((resolve) => lively.ws.once('ping', resolve));
    await new Promise((resolve) => lively.ws.once('ping', resolve));
    assert.equal(lively.isClosed, false);
    assert.equal((await lively.request('Ping', {})).event, 'Pong');
    await lively.close();
  } finally {
    assert.equal((await node.stop()).code, 0);
  }
});
