// The echo dialect (Plezi's raw echo controller) on /echo, end to end: every text message comes
// back as text and every binary message as binary, byte for byte; nothing is sent first (no
// Welcome) and nothing is parsed (no JSON). A Myxi endpoint on the same node is unaffected.
// Ordinary messages go through the npm ws client; fragmentation through a raw socket.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { startHerald, within, clientFrame, rawWebSocket, connectMyxi } from '../lib/herald.mjs';

const TEXT = 1, BINARY = 2, CLOSE = 8, CONT = 0;
const MAX_MESSAGE_BYTES = 65536; // limits.max_message_bytes, the default: the config leaves it

let node;
before(async () => {
  node = await startHerald({ config: '[[endpoints]]\npath = "/pushwss"\ndialect = "myxi"\n\n[[endpoints]]\npath = "/echo"\ndialect = "echo"\n' });
});
after(async () => {
  if (!node) return; // it never started: before() has failed every test already
  const { code } = await node.stop();
  assert.equal(code, 0, 'herald exits 0 on SIGTERM');
});

// An echo client over a real WebSocket. Messages arrive as { binary, data: Buffer } and are
// queued; next() takes them in arrival order.
async function connectEcho() {
  const ws = new WebSocket(node.wsUrl('/echo'));
  const queue = [];
  const waiters = [];
  const pongs = [];
  const pongWaiters = [];
  let closed = null;
  const closedPromise = new Promise((resolve) => {
    ws.on('close', (code, reason) => {
      closed = { code, reason: reason.toString() };
      resolve(closed);
      for (const w of [...waiters.splice(0), ...pongWaiters.splice(0)]) w.reject(new Error(`socket closed (${code}) while waiting`));
    });
  });
  ws.on('message', (data, isBinary) => {
    const message = { binary: isBinary, data: Buffer.from(data) };
    if (waiters.length) waiters.shift().resolve(message);
    else queue.push(message);
  });
  ws.on('pong', (data) => {
    if (pongWaiters.length) pongWaiters.shift().resolve(Buffer.from(data));
    else pongs.push(Buffer.from(data));
  });
  const opened = new Promise((resolve, reject) => { ws.once('open', resolve); ws.once('error', reject); });
  await within(10000, opened, 'the echo WebSocket to open');
  ws.on('error', () => {}); // after the open, the close event (and its code) tells what happened
  const take = (items, pending, what, ms) => {
    if (items.length) return Promise.resolve(items.shift());
    if (closed) return Promise.reject(new Error(`socket closed (${closed.code}) before ${what}`));
    return within(ms, new Promise((resolve, reject) => pending.push({ resolve, reject })), what);
  };
  return {
    ws,
    next: (what = 'a message', ms = 10000) => take(queue, waiters, what, ms),
    nextPong: (what = 'a pong', ms = 10000) => take(pongs, pongWaiters, what, ms),
    closed: () => closedPromise,
    close(code) { ws.close(code); return within(10000, closedPromise, 'the close handshake'); },
  };
}

// Asserts the type and the exact bytes of a message, saying where the bytes first differ
// (a 60 000-byte diff helps no one).
function assertMessage(got, { binary, data }, what = 'the echo') {
  const expected = Buffer.isBuffer(data) ? data : Buffer.from(data, 'utf8');
  assert.equal(got.binary, binary, `${what} comes back as ${binary ? 'binary' : 'text'}`);
  if (got.data.equals(expected)) return;
  let at = 0;
  while (at < got.data.length && at < expected.length && got.data[at] === expected[at]) at++;
  assert.fail(`${what}: ${got.data.length} bytes back for ${expected.length} sent, first difference at byte ${at}`);
}

// The next whole data message on a raw socket: its first frame and its continuations, joined.
async function nextRawMessage(raw, what) {
  const first = await raw.nextFrame((f) => f.opcode === TEXT || f.opcode === BINARY, what);
  const parts = [first.payload];
  for (let last = first; !last.fin;) {
    last = await raw.nextFrame((f) => f.opcode === CONT, `the rest of ${what}`);
    parts.push(last.payload);
  }
  return { binary: first.opcode === BINARY, data: Buffer.concat(parts) };
}

// Closes a raw connection with 1000 and checks the answer: the session was still healthy.
async function closeRaw(raw) {
  const status = Buffer.alloc(2);
  status.writeUInt16BE(1000);
  raw.write(clientFrame(CLOSE, status));
  assert.equal((await raw.closeFrame()).code, 1000);
  await raw.ended();
}

const allBytes = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
const pattern = (length) => Buffer.from(Array.from({ length }, (_, i) => (i * 31 + (i >> 8)) & 0xff));

test('an echo endpoint sends nothing first: no Welcome, the first message back is the client\'s own', async () => {
  const client = await connectEcho();
  client.ws.send('first');
  assertMessage(await client.next('the first echo'), { binary: false, data: 'first' });
  await client.close();
});

test('text comes back as text, byte for byte, non-ASCII UTF-8 included', async () => {
  const client = await connectEcho();
  const texts = ['hello', 'héllo wörld', 'Grüße aus Köln — “quoted”', '你好，世界', '🌍🚀 emoji (4-byte UTF-8)',
    'a\u0000b NUL is valid UTF-8', ' leading and trailing spaces ', '\r\n\t'];
  for (const text of texts) {
    client.ws.send(text);
    assertMessage(await client.next(`the echo of ${JSON.stringify(text)}`), { binary: false, data: text }, JSON.stringify(text));
  }
  await client.close();
});

test('binary comes back as binary, all 256 byte values included', async () => {
  const client = await connectEcho();
  const reversed = Buffer.from(allBytes).reverse();
  for (const bytes of [allBytes, reversed, Buffer.from([0xff, 0xfe, 0xc3, 0x28]), Buffer.from([0])]) {
    client.ws.send(bytes);
    assertMessage(await client.next('a binary echo'), { binary: true, data: bytes }, `binary ${bytes.subarray(0, 4).toString('hex')}…`);
  }
  await client.close();
});

test('each message keeps its type: binary that reads as text stays binary, and the other way round', async () => {
  const client = await connectEcho();
  client.ws.send(Buffer.from('plain ASCII, sent as binary'));
  client.ws.send(Buffer.from('{"action":"Ping"}'), { binary: false });
  assertMessage(await client.next('the binary echo'), { binary: true, data: 'plain ASCII, sent as binary' });
  assertMessage(await client.next('the text echo'), { binary: false, data: '{"action":"Ping"}' });
  await client.close();
});

test('an empty message comes back empty, as text and as binary', async () => {
  const client = await connectEcho();
  client.ws.send('');
  client.ws.send(Buffer.alloc(0));
  assertMessage(await client.next('the empty text echo'), { binary: false, data: Buffer.alloc(0) }, 'empty text');
  assertMessage(await client.next('the empty binary echo'), { binary: true, data: Buffer.alloc(0) }, 'empty binary');
  await client.close();
});

test('a fragmented text message comes back as one text message with the joined payload', async () => {
  const raw = await rawWebSocket(node, '/echo', { welcome: false });
  // Cut inside multi-byte characters: only the whole message has to be valid UTF-8.
  const payload = Buffer.from('fragmented: ü € 🌍 the end', 'utf8');
  const cut1 = payload.indexOf(Buffer.from('ü')) + 1;
  const cut2 = payload.indexOf(Buffer.from('🌍')) + 2;
  raw.write(Buffer.concat([
    clientFrame(TEXT, payload.subarray(0, cut1), { fin: false }),
    clientFrame(CONT, payload.subarray(cut1, cut2), { fin: false }),
    clientFrame(CONT, payload.subarray(cut2)),
  ]));
  assertMessage(await nextRawMessage(raw, 'the echo of the fragmented text'), { binary: false, data: payload });
  await closeRaw(raw);
});

test('a fragmented binary message comes back as one binary message with the joined payload', async () => {
  const raw = await rawWebSocket(node, '/echo', { welcome: false });
  raw.write(Buffer.concat([
    clientFrame(BINARY, allBytes.subarray(0, 100), { fin: false }),
    clientFrame(CONT, allBytes.subarray(100, 200), { fin: false }),
    clientFrame(CONT, allBytes.subarray(200)),
  ]));
  assertMessage(await nextRawMessage(raw, 'the echo of the fragmented binary'), { binary: true, data: allBytes });
  await closeRaw(raw);
});

test('a large message (60 000 bytes) comes back whole, as text and as binary', async () => {
  const client = await connectEcho();
  const text = 'é'.repeat(30000); // 60 000 bytes of two-byte characters
  const bytes = pattern(60000);
  client.ws.send(text);
  client.ws.send(bytes);
  assertMessage(await client.next('the large text echo'), { binary: false, data: text }, 'the 60 000-byte text');
  assertMessage(await client.next('the large binary echo'), { binary: true, data: bytes }, 'the 60 000-byte binary');
  await client.close();
});

test('a message of exactly limits.max_message_bytes comes back whole', async () => {
  const client = await connectEcho();
  const bytes = pattern(MAX_MESSAGE_BYTES);
  client.ws.send(bytes);
  assertMessage(await client.next('the echo at the limit'), { binary: true, data: bytes }, 'the 65 536-byte binary');
  await client.close();
});

test('a message over limits.max_message_bytes is closed with 1009, and nothing comes back', async () => {
  const client = await connectEcho();
  client.ws.send(pattern(MAX_MESSAGE_BYTES + 1));
  const { code } = await within(10000, client.closed(), 'the close after the oversized message');
  assert.equal(code, 1009);
  // The close event fires after every message before it: none was echoed.
  await assert.rejects(client.next('no echo'), /socket closed \(1009\)/);
});

test('fragments over limits.max_message_bytes together are closed with 1009', async () => {
  const raw = await rawWebSocket(node, '/echo', { welcome: false });
  raw.write(clientFrame(TEXT, 'x'.repeat(40000), { fin: false }));
  raw.write(clientFrame(CONT, 'x'.repeat(40000)));
  assert.equal((await raw.closeFrame()).code, 1009);
  await raw.ended();
});

test('many messages in a row come back in order, each with its type', async () => {
  const client = await connectEcho();
  const sent = [];
  for (let i = 0; i < 1000; i++) {
    const message = i % 2 === 0
      ? { binary: false, data: `message ${i} ✓` }
      : { binary: true, data: Buffer.from(Uint32Array.of(i).buffer) };
    sent.push(message);
    client.ws.send(message.data);
  }
  for (let i = 0; i < sent.length; i++) assertMessage(await client.next(`echo ${i}`), sent[i], `message ${i}`);
  await client.close();
});

test('pings get pongs with the same payload, and are not echoed as messages', async () => {
  const client = await connectEcho();
  client.ws.ping(Buffer.from('are you there?'));
  client.ws.ping(Buffer.alloc(0));
  client.ws.ping(allBytes.subarray(0, 125)); // the largest control payload
  client.ws.send('after the pings');
  assert.deepEqual(await client.nextPong('the first pong'), Buffer.from('are you there?'));
  assert.deepEqual(await client.nextPong('the empty pong'), Buffer.alloc(0));
  assert.deepEqual(await client.nextPong('the 125-byte pong'), allBytes.subarray(0, 125));
  assertMessage(await client.next('the message after the pings'), { binary: false, data: 'after the pings' });
  await client.close();
});

test('a Myxi action sent to the echo endpoint comes back verbatim: nothing is interpreted', async () => {
  const client = await connectEcho();
  const messages = [
    JSON.stringify({ action: 'Subscribe', tag: 's1', payload: { exchange: 'widgets', routingKeys: ['#'] } }),
    JSON.stringify({ action: 'Ping', tag: 'p1' }),
    '{"action": "Ping", "tag": 2}   ',
    '{not json at all',
    'the end',
  ];
  for (const text of messages) client.ws.send(text);
  // Exactly these, in this order: no Subscribed, Pong or InvalidJSON came between them.
  for (const text of messages) {
    assertMessage(await client.next(`the echo of ${text}`), { binary: false, data: text }, JSON.stringify(text));
  }
  await client.close();
});

test('a client\'s close is answered with the same code', async () => {
  const client = await connectEcho();
  client.ws.send('before closing');
  assertMessage(await client.next('the echo before closing'), { binary: false, data: 'before closing' });
  assert.equal((await client.close(4000)).code, 4000);
});

test('the Myxi endpoint on the same node still says Welcome and speaks Myxi', async () => {
  const myxi = await connectMyxi(node, '/pushwss');
  assert.equal(myxi.welcome.event, 'Welcome');
  assert.match(myxi.welcome.payload.id, /^[0-9a-f]{16}$/);
  const pong = await myxi.request('Ping', {});
  assert.equal(pong.event, 'Pong');
  // And an echo client alongside it is still an echo client.
  const echo = await connectEcho();
  echo.ws.send('still echo');
  assertMessage(await echo.next('the echo next to Myxi'), { binary: false, data: 'still echo' });
  await Promise.all([myxi.close(), echo.close()]);
});
