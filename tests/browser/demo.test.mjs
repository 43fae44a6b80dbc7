// The demo page in a real browser: Debian's chromium, headless, driven by playwright-core.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { launchChromium } from '../lib/browser.mjs';
import { startHerald, publish, heraldBinary } from '../lib/herald.mjs';

const root = new URL('../../', import.meta.url);

let node;
let context;
let browser;
before(async () => {
  node = await startHerald({ config: '[demo]\nclock = true\n[exchanges.demo]\naccess = "public"\n[exchanges.widgets]\naccess = "public"\n' });
  browser = await launchChromium();
  context = browser.context;
});
after(async () => {
  await browser?.close();
  assert.equal((await node.stop()).code, 0);
});

test('the page connects, shows the session id and lists demo/clock events as they arrive', async () => {
  const page = await context.newPage();
  await page.goto(node.url('/'));
  await page.waitForFunction(() => /^[0-9a-f]{16}$/.test(document.getElementById('session-id').textContent));
  await page.locator('#subscriptions li[data-key="demo/clock"]').waitFor();
  // The demo publisher sends one tick a second: two of them prove events keep flowing.
  await page.waitForFunction(() => document.querySelectorAll('#events li').length >= 2, null, { timeout: 10000 });
  const first = await page.locator('#events li').first().textContent();
  assert.match(first, /^demo\/clock\s+tick/);
  await page.close();
});

test('the user can subscribe to another key, receive its events and unsubscribe', async () => {
  const page = await context.newPage();
  await page.goto(node.url('/'));
  await page.locator('#subscriptions li[data-key="demo/clock"]').waitFor();
  await page.fill('#exchange', 'widgets');
  await page.fill('#routing-key', '42');
  await page.click('#subscribe');
  await page.locator('#subscriptions li[data-key="widgets/42"]').waitFor();

  assert.equal((await publish(node, { exchange: 'widgets', routing_key: '42', event: 'WidgetQtyChanged', payload: { quantity: 5 } })).status, 202);
  await page.locator('#events li', { hasText: 'WidgetQtyChanged' }).waitFor();
  const line = await page.locator('#events li', { hasText: 'WidgetQtyChanged' }).first().textContent();
  assert.match(line, /widgets\/42\s+WidgetQtyChanged\s+\{"quantity":5\}/);

  await page.click('#unsubscribe');
  await page.locator('#subscriptions li[data-key="widgets/42"]').waitFor({ state: 'detached' });
  await page.close();
});

// The command the page shows, run as a shell would, against this test's node: only the parts
// that name the demo set-up are swapped for the test's (binary, key, URL). A hint without the
// key, with another key or with flags herald publish does not know fails here.
test('the "publish one yourself" command works as shown and its event appears on the page', async () => {
  const makefile = readFileSync(new URL('Makefile', root), 'utf8');
  const demoConfig = readFileSync(new URL('config/demo.toml', root), 'utf8');
  const demoKey = /^api_key\s*=\s*"([^"]+)"/m.exec(demoConfig)?.[1];
  assert.ok(demoKey, 'config/demo.toml sets api_key');

  const page = await context.newPage();
  await page.goto(node.url('/'));
  await page.locator('#subscriptions li[data-key="demo/clock"]').waitFor();
  const hint = (await page.locator('p', { hasText: 'Publish one yourself' }).locator('code', { hasText: 'publish' }).textContent()).trim();

  const [program, ...args] = hint.split(' ');
  const keyAt = args.findIndex((word, i) => word === '--api-key' && args[i + 1] === demoKey) + 1;
  const quote = (word) => `'${word.replaceAll("'", "'\\''")}'`;
  const command = [quote(heraldBinary), ...args.map((word, i) => (keyAt && i === keyAt ? 'test-key' : word)),
    '--url', node.url('')].join(' ');
  const env = { ...process.env };
  delete env.HERALD_API_KEY;  // the key must come from the command line, as shown
  const { stdout } = await promisify(execFile)('/bin/sh', ['-c', command], { env, timeout: 10000 })
    .catch((e) => assert.fail(`the hint failed (exit ${e.code}): ${hint}\n${e.stdout}${e.stderr}`));
  assert.equal(stdout.trim(), '{"published":1}');

  // As shown: the binary `make run` builds and starts with the demo config, whose key it uses.
  const runs = /^run:.*\n\t(\S+) --config config\/demo\.toml$/m.exec(makefile)?.[1];
  assert.equal(program, runs, 'the hint runs the binary make run starts');
  assert.ok(keyAt > 0, `the hint sends --api-key ${demoKey}, the key of config/demo.toml`);
  // No --url: herald publish then goes to http://127.0.0.1:5005, where make run listens.
  assert.doesNotMatch(hint, /--url/);
  assert.match(demoConfig, /^port = 5005$/m);

  const line = page.locator('#events li', { hasText: /\shello\s/ }).first();
  await line.waitFor();
  assert.match(await line.textContent(), /^demo\/clock\s+hello\s+\{"from":"me"\}$/);
  await page.close();
});

// Each control's box must lie within the card's content box (inside its padding): at a
// desktop width where the sidebar column is narrow for two inputs side by side, and on a phone.
for (const [width, height] of [[1100, 800], [360, 740]]) {
  test(`at ${width}x${height} the subscribe form's inputs and buttons stay inside their card`, async () => {
    const page = await context.newPage();
    await page.setViewportSize({ width, height });
    await page.goto(node.url('/'));
    const card = page.locator('section', { has: page.locator('#subscribe-form') });
    const box = await card.boundingBox();
    const padding = await card.evaluate((el) => {
      const style = getComputedStyle(el);
      return { left: parseFloat(style.paddingLeft), right: parseFloat(style.paddingRight) };
    });
    const inside = { left: box.x + padding.left, right: box.x + box.width - padding.right };
    const controls = await page.locator('#subscribe-form input, #subscribe-form button').all();
    assert.equal(controls.length, 4);
    for (const control of controls) {
      const id = await control.getAttribute('id');
      const c = await control.boundingBox();
      assert.ok(c.width > 0, `#${id} is visible`);
      assert.ok(c.x >= inside.left - 0.5 && c.x + c.width <= inside.right + 0.5,
        `#${id} spans x ${c.x}–${c.x + c.width}, the card's inside ${inside.left}–${inside.right}`);
      assert.ok(c.y >= box.y && c.y + c.height <= box.y + box.height,
        `#${id} spans y ${c.y}–${c.y + c.height}, the card ${box.y}–${box.y + box.height}`);
    }
    // And the card itself fits the window: the page does not scroll sideways.
    assert.ok(box.x >= 0 && box.x + box.width <= width, `the card spans x ${box.x}–${box.x + box.width} in a ${width} px window`);
    assert.equal(await page.evaluate(() => document.documentElement.scrollWidth), width, 'the page is as wide as the window');
    await page.close();
  });
}
