// Identities with mailboxes on one node (memory bus, SQLite): a session registers as an identity
// (the back end's register_as command), POST /api/notify reaches its sessions, and what is
// notified while none is connected waits, in order, for the next registration, across a restart
// of the node. Bounds and bad requests get documented answers.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startHerald, connectMyxi, send, notify, metrics } from '../lib/herald.mjs';
import { startHttpBackend } from '../lib/http_backend.mjs';
import { signJwt, now } from '../lib/jwt.mjs';

let backend;
let file;
before(async () => {
  // The Login action answers with a register_as command for the identity in its payload.
  backend = await startHttpBackend((r) => ({
    event: 'LoggedIn',
    payload: {},
    commands: [{ command: 'register_as', identity: r.payload.identity, lifetime: 3600, ...(r.payload.options ?? {}) }],
  }));
  file = join(mkdtempSync(join(tmpdir(), 'herald-mailboxes-')), 'mail.sqlite3');
});
after(() => backend.stop());

const config = (extra = '') => `[backend]\nurl = "${backend.url}"\nactions = ["Login"]\n[mailboxes]\nfile = "${file}"\n${extra}`;

async function login(node, identity, options) {
  const client = await connectMyxi(node);
  const reply = await client.request('Login', { identity, options });
  assert.equal(reply.event, 'LoggedIn', JSON.stringify(reply));
  return client;
}

const nextEvent = (client, what) => client.next((m) => m.mq !== undefined, what);

test('a notify reaches the registered sessions of the identity at once, and no one else', async () => {
  const node = await startHerald({ config: config() });
  try {
    const two = { max_connections: 2 };
    const [a, b, other] = [await login(node, 'ann', two), await login(node, 'ann', two), await login(node, 'bob')];
    assert.deepEqual(await notify(node, { identity: 'ann', event: 'Mail', payload: { n: 1 } }), { status: 202, body: { notified: true } });
    for (const client of [a, b]) {
      assert.deepEqual(await nextEvent(client, 'the mail'), { event: 'Mail', payload: { n: 1 }, mq: { e: 'herald.identity', rk: 'ann' } });
    }
    // bob got nothing: a unicast marker comes first.
    await send(node, { to: { session: other.welcome.payload.id }, event: 'Marker' });
    assert.equal((await nextEvent(other, 'the marker')).event, 'Marker');
    await Promise.all([a, b, other].map((c) => c.close()));
  } finally {
    assert.equal((await node.stop()).code, 0);
  }
});

test('mail for an identity with no session waits, in order, and survives a restart of the node', async () => {
  let node = await startHerald({ config: config() });
  try {
    const first = await login(node, 'carol');
    await first.close();
    for (let i = 1; i <= 3; i++) {
      assert.equal((await notify(node, { identity: 'carol', event: 'Offline', payload: { i } })).status, 202);
    }
  } finally {
    assert.equal((await node.stop()).code, 0);
  }
  node = await startHerald({ config: config() });
  try {
    const back = await login(node, 'carol');
    for (let i = 1; i <= 3; i++) {
      assert.deepEqual((await nextEvent(back, `mail ${i}`)).payload, { i });
    }
    // Taken: a second registration gets nothing more.
    const again = await login(node, 'carol', { max_connections: 2 });
    await send(node, { to: { session: again.welcome.payload.id }, event: 'Marker' });
    assert.equal((await nextEvent(again, 'the marker')).event, 'Marker');
    await Promise.all([back.close(), again.close()]);
  } finally {
    assert.equal((await node.stop()).code, 0);
  }
});

test('notify answers whether the identity exists', async () => {
  const node = await startHerald({ config: config() });
  try {
    const answer = await notify(node, { identity: 'nobody-ever', event: 'Lost' });
    assert.equal(answer.status, 404);
    assert.equal(answer.body.error, 'unknown_identity');
  } finally {
    assert.equal((await node.stop()).code, 0);
  }
});

test('a full mailbox refuses more mail with 507 and counts it; what it holds is delivered', async () => {
  const node = await startHerald({ config: config('max_messages = 2\n') });
  try {
    const gone = await login(node, 'dave');
    await gone.close();
    assert.equal((await notify(node, { identity: 'dave', event: 'M', payload: 1 })).status, 202);
    assert.equal((await notify(node, { identity: 'dave', event: 'M', payload: 2 })).status, 202);
    const full = await notify(node, { identity: 'dave', event: 'M', payload: 3 });
    assert.equal(full.status, 507);
    assert.equal(full.body.error, 'mailbox_full');
    assert.equal((await metrics(node)).get('herald_mailbox_full_total'), 1);
    const back = await login(node, 'dave');
    assert.equal((await nextEvent(back, 'mail 1')).payload, 1);
    assert.equal((await nextEvent(back, 'mail 2')).payload, 2);
    await back.close();
  } finally {
    assert.equal((await node.stop()).code, 0);
  }
});

test('max_connections keeps the newest sessions of an identity; older ones are closed with 4003', async () => {
  const node = await startHerald({ config: config() });
  try {
    const oldest = await login(node, 'erin', { max_connections: 2 });
    const middle = await login(node, 'erin', { max_connections: 2 });
    const newest = await login(node, 'erin', { max_connections: 2 });
    assert.equal((await oldest.closed()).code, 4003);
    assert.equal(middle.isClosed, false);
    // The two left still get what is sent to the identity.
    assert.equal((await notify(node, { identity: 'erin', event: 'StillHere' })).status, 202);
    for (const client of [middle, newest]) assert.equal((await nextEvent(client, 'the mail')).event, 'StillHere');
    // A registration with max_connections 1 leaves only itself.
    const only = await login(node, 'erin');
    for (const client of [middle, newest]) assert.equal((await client.closed()).code, 4003);
    assert.equal(only.isClosed, false);
    await only.close();
  } finally {
    assert.equal((await node.stop()).code, 0);
  }
});

test('a registration beyond limits.max_identities_per_session is refused with InvalidIdentity', async () => {
  const node = await startHerald({ config: config().replace('[mailboxes]', '[limits]\nmax_identities_per_session = 1\n[mailboxes]') });
  try {
    const client = await login(node, 'first');
    const reply = await client.request('Login', { identity: 'second' });
    assert.equal(reply.event, 'LoggedIn');
    const refused = await client.next((m) => m.event === 'Error', 'the refusal');
    assert.equal(refused.payload.error, 'InvalidIdentity');
    assert.equal(refused.tag, reply.tag);
    // Still registered as the first.
    assert.equal((await notify(node, { identity: 'first', event: 'Still' })).status, 202);
    assert.equal((await nextEvent(client, 'the mail')).event, 'Still');
    assert.equal((await notify(node, { identity: 'second', event: 'Never' })).status, 404);
    await client.close();
  } finally {
    assert.equal((await node.stop()).code, 0);
  }
});

test('a token checked at the upgrade registers the session as its register_as claim says', async () => {
  const secret = 'mailbox-secret';
  const node = await startHerald({
    config: config().replace('[mailboxes]', `[auth]\njwt_secret = "${secret}"\n[[endpoints]]\npath = "/pushwss"\ncredentials = "query:token"\n[mailboxes]`),
  });
  try {
    const token = signJwt({ sub: 'user-8', exp: now() + 600, register_as: 'inbox-8' }, { secret });
    const client = await connectMyxi(node, `/pushwss?token=${token}`);
    assert.equal((await notify(node, { identity: 'inbox-8', event: 'AtUpgrade', payload: 8 })).status, 202);
    assert.equal((await nextEvent(client, 'the mail')).payload, 8);
    await client.close();
  } finally {
    assert.equal((await node.stop()).code, 0);
  }
});

test('a token\'s register_as claim registers the session at Authenticate', async () => {
  const secret = 'mailbox-secret';
  const node = await startHerald({ config: config().replace('[mailboxes]', `[auth]\njwt_secret = "${secret}"\n[mailboxes]`) });
  try {
    const client = await connectMyxi(node);
    const token = signJwt({ sub: 'user-9', exp: now() + 600, register_as: ['inbox-9', { identity: 'team-9', max_connections: 3 }] }, { secret });
    assert.equal((await client.request('Authenticate', { token })).event, 'Authenticated');
    for (const identity of ['inbox-9', 'team-9']) {
      assert.equal((await notify(node, { identity, event: 'ForToken', payload: identity })).status, 202);
      assert.equal((await nextEvent(client, identity)).payload, identity);
    }
    await client.close();
  } finally {
    assert.equal((await node.stop()).code, 0);
  }
});

test('bad notify requests get a 400 naming the field', async () => {
  const node = await startHerald({ config: config() });
  try {
    for (const [body, raw] of [[null, '{"identity":'], [{ event: 'E' }], [{ identity: '', event: 'E' }],
      [{ identity: 'x'.repeat(1025), event: 'E' }], [{ identity: 'ann' }], [['ann']],
      [{ identity: 'ann', event: 'herald:registered' }]]) {
      const answer = await notify(node, body, { raw });
      assert.equal(answer.status, 400, JSON.stringify(body));
      assert.match(answer.body.error, /^invalid_(json|field)$/);
    }
  } finally {
    assert.equal((await node.stop()).code, 0);
  }
});

