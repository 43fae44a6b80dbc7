// Client acknowledgements of identity mail in the DataDealer, Plezi (auto-dispatch and raw) and
// Piped dialects (docs/backend.md#acknowledgements; Myxi's are in acknowledgements.test.mjs), on
// the memory bus (SQLite) and on redis: mail reaches each client with its id in the dialect's
// own shape, the client acknowledges some with the dialect's acknowledge action, and its next
// registration gets exactly the rest, in order; the action never reaches the back end; bad
// acknowledge payloads get the dialect's documented error and the session stays.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startHerald, connectJson, notify } from '../lib/herald.mjs';
import { startHttpBackend } from '../lib/http_backend.mjs';
import { connectPlezi } from '../lib/plezi.mjs';
import { signJwt, now } from '../lib/jwt.mjs';
import { buses, uniqueName, startNodes, shareBroker, notifyAll } from '../lib/cluster.mjs';

const secret = 'acknowledgements-of-the-dialects';
const config = (backendUrl) => `
[auth]
jwt_secret = "${secret}"
[backend]
url = "${backendUrl}"
[[endpoints]]
path = "/dd"
dialect = "datadealer"
[[endpoints]]
path = "/plezi"
dialect = "plezi"
auto_dispatch = true
[[endpoints]]
path = "/plezi-raw"
dialect = "plezi"
[[endpoints]]
path = "/piped/{token}"
dialect = "piped"
credentials = "path:token"
`;

const register = (identity) => ({ command: 'register_as', identity, lifetime: 600, acknowledge: true });

// Registers DataDealer users (the token is the uid) and Plezi sessions (?identity=) in
// acknowledge mode; Piped sessions register by their token's claim. Raw Plezi messages are
// echoed, so a test sees they reached the back end.
const startBackend = () => startHttpBackend((r) => {
  if (r.kind === 'authenticate') return { allow: true, identity: r.token, commands: [register(r.token)] };
  if (r.kind === 'on_open') {
    return { payload: 'registered', commands: [register(new URLSearchParams(r.query).get('identity'))] };
  }
  if (r.kind === 'on_message') return { payload: `echo ${r.data}` };
  return {};
});

// Each dialect's client, registered as `identity`: mail() is the next mail as {i, id},
// acknowledge(ids) the reply's {mail, unknown}, refuse(body) the error a bad acknowledgement gets.
const parse = (text) => { try { return JSON.parse(text); } catch { return null; } };

async function dataDealer(node, identity) {
  const c = await connectJson(node, '/dd', { nameKey: 'ev' });
  c.sendJson({ ev: 'client_connected', pl: { token: identity } });
  await c.next('established');
  return {
    async mail() {
      const m = await c.next('Mail');
      assert.deepEqual(Object.keys(m), ['ev', 'pl', 'mail']);
      return { i: m.pl.i, id: m.mail };
    },
    async acknowledge(ids) {
      c.sendJson({ ev: 'herald:acknowledge', pl: { mail: ids } });
      return (await c.next('herald:acknowledged')).pl;
    },
    async refuse(pl) {
      c.sendJson({ ev: 'herald:acknowledge', ...(pl === undefined ? {} : { pl }) });
      return c.next('error');
    },
    close: () => c.close(),
  };
}

const plezi = (path) => async (node, identity) => {
  const c = await connectPlezi(node, `${path}?identity=${identity}`);
  assert.equal(await c.next((m) => m === 'registered', 'on_open\'s answer'), 'registered');
  const event = (name) => async () => parse(await c.next((m) => parse(m)?.event === name, name));
  return {
    async mail() {
      const m = await event('Mail')();
      assert.deepEqual(Object.keys(m), ['event', 'i', '_mail_']);
      return { i: m.i, id: m._mail_ };
    },
    async acknowledge(ids) {
      c.send({ event: '_ack_mail_', mail: ids });
      const { event: name, ...rest } = await event('_acked_mail_')();
      return rest;
    },
    async refuse(body) {
      c.send({ event: '_ack_mail_', ...body });
      return event('err')();
    },
    close: () => c.close(),
    client: c,
  };
};

async function piped(node, identity) {
  const token = signJwt({ sub: identity, exp: now() + 600, register_as: [{ identity, acknowledge: true, lifetime: 600 }] }, { secret });
  const c = await connectJson(node, `/piped/${token}`);
  let calls = 0;
  return {
    async mail() {
      const m = await c.next((e) => e.type === 'event' && e.event === 'Mail', 'Mail');
      assert.deepEqual(Object.keys(m), ['type', 'event', 'payload', 'mail']);
      return { i: m.payload.i, id: m.mail };
    },
    async acknowledge(ids) {
      const id = ++calls;
      c.sendJson({ id, method: 'herald:acknowledge', payload: { mail: ids } });
      const result = await c.next((m) => m.type === 'result' && m.id === id, 'the result');
      assert.equal(result.method, 'herald:acknowledge');
      return result.payload;
    },
    async refuse(payload) {
      const id = ++calls;
      c.sendJson({ id, method: 'herald:acknowledge', payload });
      return c.next((m) => m.event === 'error' && m.id === id, 'the error');
    },
    close: () => c.close(),
  };
}

const dialects = [
  { name: 'DataDealer', connect: dataDealer },
  { name: 'Plezi (auto-dispatch)', connect: plezi('/plezi') },
  { name: 'Plezi (raw)', connect: plezi('/plezi-raw') },
  { name: 'Piped', connect: piped },
];

async function receive(client, count) {
  const got = [];
  for (let k = 0; k < count; k++) {
    const m = await client.mail();
    assert.equal(typeof m.id, 'string');
    got.push(m);
  }
  return got;
}

function acknowledgementTests(nodeOf, name) {
  for (const dialect of dialects) {
    test(`${dialect.name}: a client gets mail with ids, and after a reconnect exactly what it did not acknowledge, in order`, async () => {
      const node = nodeOf();
      const ann = name('ann');
      let client = await dialect.connect(node, ann);
      await notifyAll(node, ann, [1, 2, 3]);
      const first = await receive(client, 3);
      assert.deepEqual(first.map((m) => m.i), [1, 2, 3]);
      assert.equal(new Set(first.map((m) => m.id)).size, 3, 'ids are unique');
      assert.deepEqual(await client.acknowledge([first[0].id]), { mail: [first[0].id], unknown: [] });
      await client.close();

      await notifyAll(node, ann, [4]); // while away
      client = await dialect.connect(node, ann);
      const second = await receive(client, 3);
      assert.deepEqual(second.map((m) => m.i), [2, 3, 4]);
      assert.deepEqual(second.slice(0, 2).map((m) => m.id), [first[1].id, first[2].id], 'the same ids again');
      const all = second.map((m) => m.id);
      // Twice is once: the first id again is unknown now.
      assert.deepEqual(await client.acknowledge([...all, first[0].id]), { mail: all, unknown: [first[0].id] });
      await client.close();

      // Nothing is pending: kept mail would come at the registration, before a later one.
      client = await dialect.connect(node, ann);
      await notifyAll(node, ann, [5]);
      const [fresh] = await receive(client, 1);
      assert.equal(fresh.i, 5);
      assert.deepEqual(await client.acknowledge([fresh.id]), { mail: [fresh.id], unknown: [] });
      await client.close();
    });
  }
}

describe('acknowledgements of the dialects on the memory bus (SQLite)', () => {
  let backend;
  let node;
  let n = 0;
  before(async () => {
    backend = await startBackend();
    const file = join(mkdtempSync(join(tmpdir(), 'herald-dialect-acks-')), 'mail.sqlite3');
    node = await startHerald({ config: `${config(backend.url)}[mailboxes]\nfile = "${file}"\n` });
  });
  after(async () => {
    const result = await node?.stop();
    await backend?.stop();
    assert.equal(result?.code, 0);
  });

  acknowledgementTests(() => node, (what) => `${what}-${++n}`);

  test('an acknowledgement never reaches the back end, and an id of another identity is not removed', async () => {
    const [own, other] = [`own-${++n}`, `other-${++n}`];
    const clients = await Promise.all(dialects.map((d, k) => d.connect(node, `${own}-${k}`)));
    const others = await Promise.all(dialects.map((d, k) => d.connect(node, `${other}-${k}`)));
    for (const [k, client] of clients.entries()) {
      await notifyAll(node, `${own}-${k}`, [1]);
      const [kept] = await receive(client, 1);
      assert.deepEqual(await others[k].acknowledge([kept.id]), { mail: [], unknown: [kept.id] }, dialects[k].name);
      assert.deepEqual(await client.acknowledge([kept.id]), { mail: [kept.id], unknown: [] }, dialects[k].name);
    }
    const told = backend.requests.filter((r) => r.kind === 'action' || r.kind === 'event' || r.kind === 'method' || r.kind === 'on_message');
    assert.deepEqual(told, []);
    await Promise.all([...clients, ...others].map((c) => c.close()));
  });

  const bad = [undefined, {}, { mail: [] }, { mail: '1' }, { mail: [1] }, { mail: [''] },
    { mail: ['x'.repeat(65)] }, { mail: Array.from({ length: 101 }, (_, i) => String(i + 1)) }];
  const most = Array.from({ length: 100 }, (_, i) => String(i).padStart(64, '0'));

  test('DataDealer: a herald:acknowledge without usable ids gets invalid_acknowledge, and the session stays', async () => {
    const client = await dataDealer(node, `dd-bad-${++n}`);
    const detail = 'herald:acknowledge needs pl.mail: 1 to 100 mail ids, each a string of 1 to 64 bytes';
    for (const pl of [...bad, 'mail', null]) {
      assert.deepEqual(await client.refuse(pl), { ev: 'error', pl: { error: 'invalid_acknowledge', detail } }, JSON.stringify(pl));
    }
    assert.deepEqual(await client.acknowledge(most), { mail: [], unknown: most });
    await client.close();
  });

  for (const path of ['/plezi', '/plezi-raw']) {
    test(`Plezi (${path}): an _ack_mail_ without usable ids gets err 400, and the session stays`, async () => {
      const client = await plezi(path)(node, `plezi-bad-${++n}`);
      const result = '_ack_mail_ needs mail: 1 to 100 mail ids, each a string of 1 to 64 bytes';
      for (const body of bad) {
        assert.deepEqual(await client.refuse(body ?? {}), { event: 'err', status: 400, result }, JSON.stringify(body));
      }
      assert.deepEqual(await client.acknowledge(most), { mail: [], unknown: most });
      await client.close();
    });
  }

  test('Piped: a herald:acknowledge without usable ids gets an error event with the call\'s id, and the session stays', async () => {
    const client = await piped(node, `piped-bad-${++n}`);
    const message = 'herald:acknowledge needs payload.mail: 1 to 100 mail ids, each a string of 1 to 64 bytes';
    for (const payload of [...bad, 7]) {
      const error = await client.refuse(payload);
      assert.deepEqual(error, { id: error.id, type: 'event', event: 'error', payload: { message } }, JSON.stringify(payload));
    }
    assert.deepEqual(await client.acknowledge(most), { mail: [], unknown: most });
    await client.close();
  });

  test('Plezi: kept mail with a string payload comes as {"event","data","_mail_"}, and a payload\'s own _mail_ is dropped', async () => {
    const identity = `plezi-text-${++n}`;
    const client = await plezi('/plezi')(node, identity);
    assert.equal((await notify(node, { identity, event: 'Note', payload: 'plain text' })).status, 202);
    const text = parse(await client.client.next((m) => parse(m)?.event === 'Note', 'Note'));
    assert.deepEqual(text, { event: 'Note', data: 'plain text', _mail_: text._mail_ });
    assert.equal((await notify(node, { identity, event: 'Note', payload: { _mail_: 'forged', x: 1 } })).status, 202);
    const object = parse(await client.client.next((m) => parse(m)?.event === 'Note', 'Note'));
    assert.deepEqual(object, { event: 'Note', x: 1, _mail_: object._mail_ });
    assert.notEqual(object._mail_, 'forged');
    assert.deepEqual(await client.acknowledge([text._mail_, object._mail_]), { mail: [text._mail_, object._mail_], unknown: [] });
    await client.close();
  });

  test('Plezi raw mode: only an {"event":"_ack_mail_"} object is taken; other text naming it still goes to the back end', async () => {
    const client = await plezi('/plezi-raw')(node, `plezi-raw-${++n}`);
    for (const text of ['_ack_mail_', '{"event":"_ack_mail_"', '{"event":"other","mail":["_ack_mail_"]}']) {
      client.client.send(text);
      assert.equal(await client.client.next((m) => m.startsWith('echo '), 'the echo'), `echo ${text}`);
    }
    await client.close();
  });
});

for (const bus of buses) {
  describe(`acknowledgements of the dialects on the ${bus.name} bus`, { skip: bus.skip }, () => {
    const prefix = uniqueName('dialect-acks');
    let release;
    let backend;
    let nodes;
    let n = 0;
    before(async () => {
      release = await shareBroker(bus, `acknowledgements_dialects.test.mjs (${bus.name})`);
      backend = await startBackend();
      nodes = await startNodes(bus, { count: 1, config: `[addressing]\nprefix = "${prefix}"\n${config(backend.url)}` });
    });
    after(async () => {
      const results = await Promise.all((nodes ?? []).map((node) => node.stop()));
      await backend?.stop();
      release?.();
      for (const r of results) assert.equal(r.code, 0);
    });

    acknowledgementTests(() => nodes[0], (what) => `${what}-${++n}`);
  });
}
