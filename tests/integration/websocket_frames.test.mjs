// RFC 6455 at the byte level: bad frames get the right close code, and nothing leaks or
// crashes. Raw TCP sockets write exactly the bytes under test.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startHerald, rawWebSocket, clientFrame, metrics, eventually } from '../lib/herald.mjs';

const TEXT = 1, BINARY = 2, CLOSE = 8, PING = 9, CONT = 0;
let node;
before(async () => { node = await startHerald({ config: '[limits]\nmax_message_bytes = 1024\n' }); });
after(async () => assert.equal((await node.stop()).code, 0));

const ping = (tag) => JSON.stringify({ action: 'Ping', tag });

test('an unmasked client frame is closed with 1002', async () => {
  const ws = await rawWebSocket(node);
  ws.write(clientFrame(TEXT, ping(1), { mask: false }));
  assert.equal((await ws.closeFrame()).code, 1002);
  await ws.ended();
});

test('invalid UTF-8 in a text frame is closed with 1007', async () => {
  const ws = await rawWebSocket(node);
  ws.write(clientFrame(TEXT, Buffer.from([0x7b, 0xc3, 0x28, 0x7d])));
  assert.equal((await ws.closeFrame()).code, 1007);
});

test('a message over max_message_bytes is closed with 1009', async () => {
  const ws = await rawWebSocket(node);
  ws.write(clientFrame(TEXT, 'x'.repeat(2000)));
  assert.equal((await ws.closeFrame()).code, 1009);
});

test('fragments over the limit together are closed with 1009', async () => {
  const ws = await rawWebSocket(node);
  ws.write(clientFrame(TEXT, 'x'.repeat(600), { fin: false }));
  ws.write(clientFrame(CONT, 'x'.repeat(600)));
  assert.equal((await ws.closeFrame()).code, 1009);
});

test('a fragmented message with a ping between its fragments is answered in order', async () => {
  const ws = await rawWebSocket(node);
  const text = ping('frag');
  ws.write(Buffer.concat([
    clientFrame(TEXT, text.slice(0, 10), { fin: false }),
    clientFrame(PING, 'hello'),
    clientFrame(CONT, text.slice(10, 20), { fin: false }),
    clientFrame(CONT, text.slice(20)),
  ]));
  const pong = await ws.nextFrame((f) => f.opcode === 0xA, 'the pong');
  assert.equal(pong.payload.toString(), 'hello');
  const reply = JSON.parse((await ws.nextFrame((f) => f.opcode === TEXT, 'the Pong event')).payload);
  assert.equal(reply.event, 'Pong');
  assert.equal(reply.tag, 'frag');
  ws.destroy();
});

test('a fragmented control frame is closed with 1002', async () => {
  const ws = await rawWebSocket(node);
  ws.write(clientFrame(PING, 'x', { fin: false }));
  assert.equal((await ws.closeFrame()).code, 1002);
});

test('a continuation without a message, a new message inside one, and reserved bits are 1002', async () => {
  for (const bytes of [
    clientFrame(CONT, 'x'),
    Buffer.concat([clientFrame(TEXT, 'a', { fin: false }), clientFrame(TEXT, 'b')]),
    clientFrame(TEXT, ping(1), { rsv: 4 }),
    clientFrame(3, 'reserved opcode'),
  ]) {
    const ws = await rawWebSocket(node);
    ws.write(bytes);
    assert.equal((await ws.closeFrame()).code, 1002);
  }
});

test('a client close is answered with the same code and the connection ends', async () => {
  const ws = await rawWebSocket(node);
  const payload = Buffer.alloc(2);
  payload.writeUInt16BE(1000);
  ws.write(clientFrame(CLOSE, payload));
  assert.equal((await ws.closeFrame()).code, 1000);
  await ws.ended();
});

test('a frame split byte by byte is still one message', async () => {
  const ws = await rawWebSocket(node);
  const bytes = clientFrame(TEXT, ping('slow'));
  for (const byte of bytes) ws.write(Buffer.from([byte]));
  const reply = JSON.parse((await ws.nextFrame((f) => f.opcode === TEXT)).payload);
  assert.equal(reply.tag, 'slow');
  ws.destroy();
});

test('abrupt disconnects mid-frame leave no connection behind', async () => {
  for (let i = 0; i < 20; i++) {
    const ws = await rawWebSocket(node);
    const frame = clientFrame(BINARY, 'x'.repeat(500));
    ws.write(frame.subarray(0, 1 + (i * 37) % (frame.length - 1)));
    ws.destroy();
  }
  await eventually(async () => (await metrics(node)).get('herald_connections') === 1, 'every connection but the scrape is gone');
  const m = await metrics(node);
  assert.equal(m.get('herald_sessions{endpoint="/pushwss"}'), 0);
  assert.equal((await fetch(node.url('/healthz'))).status, 200);
});
