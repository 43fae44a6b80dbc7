// Authenticate / Deauthenticate and the three exchange access policies.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { startHerald, connectMyxi, publish } from '../lib/herald.mjs';
import { signJwt, now } from '../lib/jwt.mjs';

const secret = 'a-test-secret-of-enough-length';
const config = `
[auth]
jwt_secret = "${secret}"
[exchanges.news]
access = "public"
[exchanges.members]
access = "authenticated"
[exchanges.orders]
access = "jwt"
`;

let node;
before(async () => { node = await startHerald({ config }); });
after(async () => assert.equal((await node.stop()).code, 0));

const token = (claims) => signJwt({ sub: 'user-7', exp: now() + 600, ...claims }, { secret });

test('an anonymous session may subscribe to public exchanges only', async () => {
  const client = await connectMyxi(node);
  assert.equal((await client.request('Subscribe', { exchange: 'news', routing_key: 'a' })).event, 'Subscribed');
  const members = await client.request('Subscribe', { exchange: 'members', routing_key: 'a' });
  assert.equal(members.payload.error, 'AuthRequired');
  const orders = await client.request('Subscribe', { exchange: 'orders', routing_key: '1' });
  assert.equal(orders.payload.error, 'AuthRequired');
  await client.close();
});

test('a valid token authenticates the session with its sub as identity', async () => {
  const client = await connectMyxi(node);
  const reply = await client.request('Authenticate', { token: token({}) });
  assert.equal(reply.event, 'Authenticated');
  assert.deepEqual(reply.payload, { identity: 'user-7' });
  assert.equal((await client.request('Subscribe', { exchange: 'members', routing_key: 'x' })).event, 'Subscribed');
  await client.close();
});

test('jwt exchanges need a grant for the exchange and routing key; patterns match', async () => {
  const client = await connectMyxi(node);
  await client.request('Authenticate', { token: token({ channels: ['orders:user-7.*'] }) });
  assert.equal((await client.request('Subscribe', { exchange: 'orders', routing_key: 'user-7.12' })).event, 'Subscribed');
  const denied = await client.request('Subscribe', { exchange: 'orders', routing_key: 'user-8.1' });
  assert.equal(denied.payload.error, 'SubscriptionDenied');
  assert.equal(denied.payload.routing_key, 'user-8.1');
  await client.close();
});

test('bad, expired and wrongly signed tokens are InvalidSessionToken', async () => {
  const client = await connectMyxi(node);
  const cases = {
    expired: token({ exp: now() - 3600 }),
    bad_signature: signJwt({ sub: 'x', exp: now() + 60 }, { secret: 'another-secret' }),
    malformed: 'not.a.token',
    unsupported_algorithm: signJwt({ sub: 'x' }, { alg: 'none' }),
  };
  for (const [detail, bad] of Object.entries(cases)) {
    const reply = await client.request('Authenticate', { token: bad });
    assert.equal(reply.event, 'Error', detail);
    assert.equal(reply.payload.error, 'InvalidSessionToken', detail);
    assert.equal(reply.payload.detail, detail);
  }
  const members = await client.request('Subscribe', { exchange: 'members', routing_key: 'a' });
  assert.equal(members.payload.error, 'AuthRequired', 'still anonymous');
  await client.close();
});

test('Deauthenticate drops the subscriptions the session may no longer hold', async () => {
  const client = await connectMyxi(node);
  await client.request('Authenticate', { token: token({ channels: ['orders:*'] }) });
  await client.request('Subscribe', { exchange: 'news', routing_key: 'n' });
  await client.request('Subscribe', { exchange: 'members', routing_key: 'm' });
  await client.request('Subscribe', { exchange: 'orders', routing_key: 'o' });
  const tag = client.send('Deauthenticate', {});
  const done = await client.next('Deauthenticated');
  assert.equal(done.tag, tag);
  const revoked = client.received.filter((m) => m.event === 'Unsubscribed');
  assert.deepEqual(revoked.map((m) => m.payload.exchange_name).sort(), ['members', 'orders']);
  assert.ok(revoked.every((m) => m.payload.auto === true));
  const list = await client.request('ListSubscriptions', {});
  assert.deepEqual(list.payload.subscriptions, { news: ['n'] });

  await publish(node, { exchange: 'members', routing_key: 'm', event: 'secret', payload: {} });
  await client.request('Ping', {});
  assert.ok(!client.received.some((m) => m.event === 'secret'));
  await client.close();
});

test('when the token expires the session turns anonymous and loses what it no longer may hold', async () => {
  const strict = await startHerald({ config: config.replace('[auth]\n', '[auth]\njwt_leeway_seconds = 0\n') });
  try {
    const client = await connectMyxi(strict);
    const shortLived = signJwt({ sub: 'user-7', exp: now() + 2 }, { secret });
    assert.equal((await client.request('Authenticate', { token: shortLived })).event, 'Authenticated');
    await client.request('Subscribe', { exchange: 'news', routing_key: 'n' });
    assert.equal((await client.request('Subscribe', { exchange: 'members', routing_key: 'm' })).event, 'Subscribed');

    const expired = await client.next('Deauthenticated', 'the session to expire', 6000);
    assert.deepEqual(expired.payload, { reason: 'token_expired' });
    assert.equal(expired.tag, undefined, 'no action asked for it');
    const revoked = client.received.filter((m) => m.event === 'Unsubscribed');
    assert.deepEqual(revoked.map((m) => [m.payload.exchange, m.payload.auto]), [['members', true]]);
    const again = await client.request('Subscribe', { exchange: 'members', routing_key: 'm' });
    assert.equal(again.payload.error, 'AuthRequired');
    await client.close();
  } finally {
    assert.equal((await strict.stop()).code, 0);
  }
});

test('RS256 and ES256 tokens verify against the configured public key', async () => {
  for (const [alg, type, options] of [['RS256', 'rsa', { modulusLength: 2048 }], ['ES256', 'ec', { namedCurve: 'P-256' }]]) {
    const { publicKey, privateKey } = generateKeyPairSync(type, options);
    const pem = publicKey.export({ type: 'spki', format: 'pem' });
    const keyed = await startHerald({ config: `[auth]\njwt_public_key = """\n${pem}"""\n[exchanges.orders]\naccess = "jwt"\n` });
    try {
      const client = await connectMyxi(keyed);
      const good = signJwt({ sub: `${alg}-user`, exp: now() + 60, channels: ['orders:1'] }, { alg, privateKey });
      const reply = await client.request('Authenticate', { token: good });
      assert.deepEqual(reply.payload, { identity: `${alg}-user` }, alg);
      assert.equal((await client.request('Subscribe', { exchange: 'orders', routing_key: 1 })).event, 'Subscribed');
      // An HS256 token signed with the public key text must not pass (algorithm confusion).
      const forged = signJwt({ sub: 'mallory', exp: now() + 60 }, { secret: pem });
      const refused = await client.request('Authenticate', { token: forged });
      assert.equal(refused.payload.error, 'InvalidSessionToken', `${alg}: forged HS256`);
      await client.close();
    } finally {
      assert.equal((await keyed.stop()).code, 0);
    }
  }
});
