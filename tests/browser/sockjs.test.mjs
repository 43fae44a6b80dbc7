// The real sockjs-client (npm, dist/sockjs.min.js) in Debian's chromium, against Herald's
// SockJS prefix, through each transport forced alone: websocket, xhr-streaming, xhr-polling and
// eventsource. On each, the page sends a Myxi Subscribe and receives an event published through
// the HTTP API. The page and the client script are served by playwright (page.route) under
// Herald's own origin: sockjs-client then makes same-origin requests, and the cross-origin
// parts of SockJS (CORS, iframes) play no role. (The raw websocket under the prefix is tested
// with the ws client in tests/integration/sockjs.test.mjs.)
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { launchChromium } from '../lib/browser.mjs';
import { startHerald, publish } from '../lib/herald.mjs';
import { signJwt, now } from '../lib/jwt.mjs';

const clientScript = readFileSync(new URL('../../node_modules/sockjs-client/dist/sockjs.min.js', import.meta.url), 'utf8');
const secret = 'sockjs-browser-secret';
const page = '<!doctype html><meta charset="utf-8"><title>sockjs</title><script src="sockjs.min.js"></script>';

let node;
let context;
let browser;
before(async () => {
  node = await startHerald({
    config: `[auth]\njwt_secret = "${secret}"\n[[endpoints]]\npath = "/pushwss"\nsockjs = "/myxi-sockjs"\n` +
      '[[endpoints]]\npath = "/dd"\ndialect = "datadealer"\nsockjs = true\n',
    threads: 2,
  });
  // A page that playwright serves has no address of its own, and chromium's local network
  // access checks would then block its WebSocket to 127.0.0.1 (XHRs to its own origin pass).
  browser = await launchChromium({ args: ['--disable-features=LocalNetworkAccessChecks'] });
  context = browser.context;
  await context.route(`${node.url('/sockjs-test/')}**`, (route) => {
    const script = route.request().url().endsWith('/sockjs.min.js');
    return route.fulfill({ status: 200, contentType: script ? 'application/javascript' : 'text/html', body: script ? clientScript : page });
  });
});
after(async () => {
  await browser?.close();
  if (node) assert.equal((await node.stop()).code, 0);
});

for (const transport of ['websocket', 'xhr-streaming', 'xhr-polling', 'eventsource']) {
  test(`sockjs-client over ${transport} alone subscribes and receives a published event`, async () => {
    const tab = await context.newPage();
    await tab.goto(node.url('/sockjs-test/page.html'));
    const key = `key-${transport}`;
    await tab.evaluate(({ transport, key }) => new Promise((resolve, reject) => {
      window.received = [];
      const sock = new window.SockJS(`${location.origin}/myxi-sockjs`, null, { transports: [transport] });
      window.sock = sock;
      sock.onmessage = (e) => {
        const message = JSON.parse(e.data);
        window.received.push(message);
        if (message.event === 'Welcome') {
          sock.send(JSON.stringify({ action: 'Subscribe', payload: { exchange: 'news', routing_key: key } }));
        } else if (message.event === 'Subscribed') {
          resolve();
        }
      };
      sock.onclose = (e) => reject(new Error(`closed: ${e.code} ${e.reason}`));
    }), { transport, key });
    assert.equal(await tab.evaluate(() => window.sock.transport), transport);

    assert.equal((await publish(node, { exchange: 'news', routing_key: key, event: 'Hello', payload: { via: transport } })).status, 202);
    const event = await tab.waitForFunction(() => window.received.find((m) => m.event === 'Hello'), null, { timeout: 10000 });
    assert.deepEqual(await event.jsonValue(), { event: 'Hello', payload: { via: transport }, mq: { e: 'news', rk: key } });

    const closed = await tab.evaluate(() => new Promise((resolve) => { window.sock.onclose = (e) => resolve(e.code); window.sock.close(); }));
    assert.equal(closed, 1000);
    await tab.close();
  });
}

// DataDealer's client as dd_js wrote it: SockJS under /__sockjs__, messages sent as JSON text,
// and each received one read as an object (e.data.ev, no JSON.parse), as pyramid_sockjs sent
// objects.
for (const transport of ['websocket', 'xhr-polling']) {
  test(`a DataDealer client over ${transport} is established and gets its user's messages as objects`, async () => {
    const tab = await context.newPage();
    await tab.goto(node.url('/sockjs-test/page.html'));
    const uid = `u-${transport}`;
    const token = signJwt({ sub: uid, exp: now() + 600 }, { secret });
    await tab.evaluate(({ transport, token }) => new Promise((resolve, reject) => {
      window.received = [];
      const sock = new window.SockJS(`${location.origin}/__sockjs__`, null, { transports: [transport] });
      window.sock = sock;
      sock.onopen = () => sock.send(JSON.stringify({ ev: 'client_connected', pl: { token } }));
      sock.onmessage = (e) => {
        window.received.push({ type: typeof e.data, data: e.data });
        if (e.data.ev === 'established') resolve();
      };
      sock.onclose = (e) => reject(new Error(`closed: ${e.code} ${e.reason}`));
    }), { transport, token });
    assert.deepEqual(await tab.evaluate(() => window.received[0]), { type: 'object', data: { ev: 'established', pl: {} } });

    const data = { id: { $oid: '5f1d7a3e8b1e4a2b3c4d5e6f' }, type: 'ContactPerp' };
    assert.equal((await publish(node, { exchange: 'datadealer', routing_key: `user_${uid}`, event: 'node_ready', payload: data })).status, 202);
    const got = await tab.waitForFunction(() => window.received.find((m) => m.data.ev === 'node_ready'), null, { timeout: 10000 });
    assert.deepEqual(await got.jsonValue(), { type: 'object', data: { ev: 'node_ready', pl: data } });
    await tab.evaluate(() => window.sock.close());
    await tab.close();
  });
}
