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

const clientScript = readFileSync(new URL('../../node_modules/sockjs-client/dist/sockjs.min.js', import.meta.url), 'utf8');
const page = '<!doctype html><meta charset="utf-8"><title>sockjs</title><script src="sockjs.min.js"></script>';

let node;
let context;
let browser;
before(async () => {
  node = await startHerald({ config: '[[endpoints]]\npath = "/pushwss"\nsockjs = "/myxi-sockjs"\n', threads: 2 });
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
