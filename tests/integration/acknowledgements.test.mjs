// Client acknowledgements of identity mail (docs/backend.md#acknowledgements), on the memory
// bus (SQLite) and on each broker: a Myxi client registered with `acknowledge` gets mail with
// ids, acknowledges some, and its next registration gets exactly the rest, in order; what is
// acknowledged never comes again; an id of another identity is not removed, and the answer says
// so; bad Acknowledge payloads get InvalidPayload. On RabbitMQ, where only the node holding a
// delivery can acknowledge it, also with several nodes: an acknowledgement through one node of
// mail another node holds, a reconnect elsewhere after a partial acknowledgement, and a node
// killed while it holds mail.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startHerald, notify, send, metrics, eventually } from '../lib/herald.mjs';
import { buses, uniqueName, startNodes, shareBroker, startLoginBackend, login, notifyAll } from '../lib/cluster.mjs';

const isMail = (m) => m.mq !== undefined;
const nextMail = (client, what) => client.next(isMail, what);

// The next `count` mail events, each with its number and its id.
async function receive(client, count) {
  const got = [];
  for (let k = 0; k < count; k++) {
    const m = await nextMail(client, `mail ${k + 1} of ${count}`);
    assert.equal(typeof m.mail, 'string', JSON.stringify(m));
    got.push({ i: m.payload.i, id: m.mail });
  }
  return got;
}

// Nothing is pending for the client: a unicast marker comes, and then the next mail is a fresh
// one notified after it (mail due again would have gone out on the identity's topic before).
async function expectNothingPending(node, client, identity) {
  await send(node, { to: { session: client.welcome.payload.id }, event: 'Marker' });
  assert.equal((await client.next((m) => isMail(m) || m.event === 'Marker', 'the marker')).event, 'Marker');
  await notifyAll(node, identity, [1000]);
  const [fresh] = await receive(client, 1);
  assert.equal(fresh.i, 1000);
  assert.deepEqual((await client.request('Acknowledge', { mail: [fresh.id] })).payload, { mail: [fresh.id], unknown: [] });
}

function acknowledgementTests(nodeOf, name) {
  test('a client gets mail with ids, and its next registration gets exactly what it did not acknowledge, in order', async () => {
    const node = nodeOf();
    const ann = name('ann');
    let client = await login(node, ann);
    await notifyAll(node, ann, [1, 2, 3]);
    const first = await receive(client, 3);
    assert.deepEqual(first.map((m) => m.i), [1, 2, 3]);
    assert.equal(new Set(first.map((m) => m.id)).size, 3, 'ids are unique');
    const ack = await client.request('Acknowledge', { mail: [first[0].id] });
    assert.deepEqual(ack, { event: 'Acknowledged', tag: ack.tag, payload: { mail: [first[0].id], unknown: [] } });
    await client.close();

    await notifyAll(node, ann, [4]); // while away
    client = await login(node, ann);
    const second = await receive(client, 3);
    assert.deepEqual(second.map((m) => m.i), [2, 3, 4]);
    assert.deepEqual(second.slice(0, 2).map((m) => m.id), [first[1].id, first[2].id], 'the same ids again');
    const all = second.map((m) => m.id);
    assert.deepEqual((await client.request('Acknowledge', { mail: all })).payload, { mail: all, unknown: [] });
    await client.close();

    client = await login(node, ann);
    await expectNothingPending(node, client, ann);
    await client.close();
  });

  test('acknowledging an id of another identity removes nothing, and the answer says so', async () => {
    const node = nodeOf();
    const [carol, dave] = [name('carol'), name('dave')];
    let mine = await login(node, carol);
    const other = await login(node, dave);
    await notifyAll(node, carol, [1]);
    const [kept] = await receive(mine, 1);
    assert.deepEqual((await other.request('Acknowledge', { mail: [kept.id, '999999999'] })).payload,
      { mail: [], unknown: [kept.id, '999999999'] });
    await mine.close();
    mine = await login(node, carol);
    assert.deepEqual(await receive(mine, 1), [kept]);
    // Twice is once: the second acknowledgement finds nothing.
    assert.deepEqual((await mine.request('Acknowledge', { mail: [kept.id] })).payload, { mail: [kept.id], unknown: [] });
    assert.deepEqual((await mine.request('Acknowledge', { mail: [kept.id] })).payload, { mail: [], unknown: [kept.id] });
    await Promise.all([mine.close(), other.close()]);
  });
}

describe('acknowledgements on the memory bus (SQLite)', () => {
  let backend;
  let node;
  let n = 0;
  before(async () => {
    backend = await startLoginBackend({ acknowledge: true });
    const file = join(mkdtempSync(join(tmpdir(), 'herald-acks-')), 'mail.sqlite3');
    node = await startHerald({ config: `[backend]\nurl = "${backend.url}"\nactions = ["Login"]\n[mailboxes]\nfile = "${file}"\n` });
  });
  after(async () => {
    const result = await node?.stop();
    await backend?.stop();
    assert.equal(result?.code, 0);
  });

  acknowledgementTests(() => node, (what) => `${what}-${++n}`);

  test('an Acknowledge without usable ids gets InvalidPayload, and the session stays', async () => {
    const client = await login(node, 'erin');
    const detail = 'Acknowledge needs payload.mail: 1 to 100 mail ids, each a string of 1 to 64 bytes';
    for (const payload of [undefined, {}, { mail: [] }, { mail: '1' }, { mail: [1] }, { mail: [''] },
      { mail: ['x'.repeat(65)] }, { mail: Array.from({ length: 101 }, (_, i) => String(i + 1)) }]) {
      const reply = await client.request('Acknowledge', payload);
      assert.deepEqual(reply, { event: 'Error', tag: reply.tag, payload: { error: 'InvalidPayload', detail } }, JSON.stringify(payload));
    }
    // 100 ids of 64 bytes are within the bounds: none is ours.
    const most = Array.from({ length: 100 }, (_, i) => String(i).padStart(64, '0'));
    assert.deepEqual((await client.request('Acknowledge', { mail: most })).payload, { mail: [], unknown: most });
    await client.close();
  });

  test('a "mail" member sent to notify never passes for an id', async () => {
    const client = await login(node, 'gus');
    assert.equal((await notify(node, { identity: 'gus', event: 'Mail', payload: {}, mail: 'forged', n: 1 })).status, 202);
    const m = await nextMail(client, 'the mail');
    assert.notEqual(m.mail, 'forged');
    assert.deepEqual(m, { event: 'Mail', payload: {}, mail: m.mail, mq: { e: 'herald.identity', rk: 'gus' } });
    assert.deepEqual((await client.request('Acknowledge', { mail: [m.mail] })).payload, { mail: [m.mail], unknown: [] });
    await client.close();
  });

  test('without acknowledge, mail has no id and is gone once handed out', async () => {
    const plain = await startLoginBackend();
    const file = join(mkdtempSync(join(tmpdir(), 'herald-acks-')), 'mail.sqlite3');
    const other = await startHerald({ config: `[backend]\nurl = "${plain.url}"\nactions = ["Login"]\n[mailboxes]\nfile = "${file}"\n` });
    try {
      let client = await login(other, 'fay');
      await notifyAll(other, 'fay', [1]);
      assert.deepEqual(await nextMail(client, 'the mail'), { event: 'Mail', payload: { i: 1 }, mq: { e: 'herald.identity', rk: 'fay' } });
      await client.close();
      client = await login(other, 'fay');
      await send(other, { to: { session: client.welcome.payload.id }, event: 'Marker' });
      assert.equal((await client.next((m) => isMail(m) || m.event === 'Marker', 'the marker')).event, 'Marker');
      await client.close();
    } finally {
      assert.equal((await other.stop()).code, 0);
      await plain.stop();
    }
  });
});

for (const bus of buses) {
  describe(`acknowledgements on the ${bus.name} bus`, { skip: bus.skip }, () => {
    const prefix = uniqueName('acks');
    let release;
    let backend;
    let nodes;
    let n = 0;
    before(async () => {
      release = await shareBroker(bus, `acknowledgements.test.mjs (${bus.name})`);
      backend = await startLoginBackend({ acknowledge: true });
      nodes = await startNodes(bus, {
        count: 1,
        config: `[addressing]\nprefix = "${prefix}"\n[backend]\nurl = "${backend.url}"\nactions = ["Login"]\n`,
      });
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

// The node has no session left (its last session of an identity left, so it gave back what it
// held of its mail).
const sessionsGone = (node) => eventually(async () => (await metrics(node)).get('herald_sessions{endpoint="/pushwss"}') === 0,
  `node ${node.id} to have no session`);

const amqp = buses.find((bus) => bus.name === 'amqp');
describe('acknowledgements on RabbitMQ with several nodes', { skip: amqp.skip }, () => {
  const prefix = uniqueName('acks-nodes');
  const config = () => `[addressing]\nprefix = "${prefix}"\n[backend]\nurl = "${backend.url}"\nactions = ["Login"]\n`;
  let release;
  let backend;
  let nodes;
  let n = 0;
  const name = (what) => `${what}-${++n}`;
  before(async () => {
    release = await shareBroker(amqp, 'acknowledgements.test.mjs (amqp, several nodes)');
    // Two sessions of an identity at once, on two nodes: neither supersedes the other.
    backend = await startLoginBackend({ acknowledge: true, max_connections: 2 });
    nodes = await startNodes(amqp, { count: 2, firstId: 31, config: config() });
  });
  after(async () => {
    const results = await Promise.all((nodes ?? []).map((node) => node.stop()));
    await backend?.stop();
    release?.();
    for (const r of results) assert.equal(r.code, 0);
  });

  test('a registration on another node gets the mail one node holds, and an acknowledgement there removes it', async () => {
    const [one, two] = nodes;
    const ann = name('ann');
    const holder = await login(two, ann);
    await notifyAll(two, ann, [1, 2, 3]); // through its node: the registration is in the store
    const held = await receive(holder, 3); // node two holds them, unacknowledged
    assert.deepEqual(held.map((m) => m.i), [1, 2, 3]);

    // Node one consumes the mailbox too now, but the broker has nothing more to give: node two
    // hands out again what it holds.
    const client = await login(one, ann);
    const again = await receive(client, 3);
    assert.deepEqual(again, held);
    // Node one holds none of them: it removes none itself, and passes the ids on to node two.
    const ids = held.map((m) => m.id);
    assert.deepEqual((await client.request('Acknowledge', { mail: ids })).payload, { mail: [], unknown: ids });
    // Node two hears the acknowledgement before this marker, sent after it through node one.
    assert.equal((await send(one, { to: { identity: ann }, event: 'Marker' })).status, 202);
    assert.equal((await holder.next((m) => m.event === 'Marker', 'the marker')).event, 'Marker');
    await Promise.all([holder.close(), client.close()]);
    await Promise.all([sessionsGone(one), sessionsGone(two)]);

    const last = await login(one, ann);
    await expectNothingPending(one, last, ann);
    await last.close();
    await sessionsGone(one);
  });

  test('after a partial acknowledgement a registration on another node gets exactly the rest, in order', async () => {
    const [one, two] = nodes;
    const bob = name('bob');
    let client = await login(two, bob);
    await notifyAll(two, bob, [1, 2, 3, 4, 5]);
    const first = await receive(client, 5);
    assert.deepEqual(first.map((m) => m.i), [1, 2, 3, 4, 5]);
    const acked = [first[1].id, first[3].id];
    assert.deepEqual((await client.request('Acknowledge', { mail: acked })).payload, { mail: acked, unknown: [] });
    await client.close();
    await sessionsGone(two); // node two gave back 1, 3 and 5: the broker puts them back in place

    client = await login(one, bob);
    assert.deepEqual(await receive(client, 3), [first[0], first[2], first[4]]);
    await expectNothingPendingAfter(one, client, bob, [first[0], first[2], first[4]]);
    await client.close();
    await sessionsGone(one);
  });

  test('mail held by a node that is killed goes to the next registration on another node', async () => {
    const [one] = nodes;
    const cy = name('cy');
    const [doomed] = await startNodes(amqp, { count: 1, firstId: 39, config: config() });
    let client;
    try {
      client = await login(doomed, cy);
      await notifyAll(doomed, cy, [1, 2]);
      const held = await receive(client, 2);
      await doomed.stop('SIGKILL'); // the broker takes back what its connection held
      client = await login(one, cy);
      assert.deepEqual(await receive(client, 2), held);
      await expectNothingPendingAfter(one, client, cy, held);
      await client.close();
      await sessionsGone(one);
    } finally {
      if (doomed.child.exitCode === null && doomed.child.signalCode === null) await doomed.stop('SIGKILL');
    }
  });
});

// Acknowledges `got`, then nothing is pending.
async function expectNothingPendingAfter(node, client, identity, got) {
  const ids = got.map((m) => m.id);
  assert.deepEqual((await client.request('Acknowledge', { mail: ids })).payload, { mail: ids, unknown: [] });
  await expectNothingPending(node, client, identity);
}
