// The demo page in a real browser: Debian's chromium, headless, driven by playwright-core.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { startHerald, publish } from '../lib/herald.mjs';

let node;
let context;
let profile;
before(async () => {
  node = await startHerald({ config: '[demo]\nclock = true\n[exchanges.demo]\naccess = "public"\n[exchanges.widgets]\naccess = "public"\n' });
  profile = mkdtempSync(join(tmpdir(), 'herald-chromium-'));
  context = await chromium.launchPersistentContext(profile, {
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
});
after(async () => {
  await context?.close();
  if (profile) rmSync(profile, { recursive: true, force: true });
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
