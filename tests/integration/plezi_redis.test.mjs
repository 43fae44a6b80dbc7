// Plezi 0.12's Redis scaling against a real redis-server: two Herald nodes on the Redis bus
// listen to a Plezi app's global channel (redis_channel_name) and each to its own channel, and
// what a Plezi 0.12 process or Placebo back end publishes there, Ruby YAML with Symbol keys as
// Psych writes it, reaches the right Plezi sessions (docs/protocol.md#plezi-012s-redis-scaling).
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createClient } from 'redis';
import { eventually } from '../lib/herald.mjs';
import { startHttpBackend } from '../lib/http_backend.mjs';
import { buses, uniqueName, startNodes, shareBroker } from '../lib/cluster.mjs';
import { connectPlezi } from '../lib/plezi.mjs';

const bus = buses.find((b) => b.name === 'redis');

// What Ruby 3's Psych writes for `{method: :chat, data: ["hello", 2], type: "ChatController",
// server: "1b4e28ba-…"}.to_yaml`, Plezi 0.12's __inner_redis_broadcast (ws_object.rb): Symbol
// keys and values with their colon, the array in block style at the key's indentation.
const broadcastYaml = (type) => '---\n' +
  ':method: :chat\n' +
  ':data:\n' +
  '- hello\n' +
  '- 2\n' +
  `:type: ${type}\n` +
  ':server: 1b4e28ba-2fa1-11d2-883f-0016d3cca427\n';

// A unicast, `{method: :notice, data: [{text: "hi"}], target: id, to_server: channel,
// type: :all, server: "…"}.to_yaml`. Psych quotes a string that would read as a number, as an
// id of digits only would.
const unicastYaml = (id, channel) => '---\n' +
  ':method: :notice\n' +
  ':data:\n' +
  '- :text: hi\n' +
  `:target: ${/^[0-9]+$/.test(id) ? `'${id}'` : id}\n` +
  `:to_server: ${channel}\n` +
  ':type: :all\n' +
  ':server: 1b4e28ba-2fa1-11d2-883f-0016d3cca427\n';

describe('Plezi 0.12 Redis scaling on two nodes', { skip: bus.skip }, () => {
  const channel = uniqueName('appsecret');
  let release;
  let backend;
  let nodes;
  let redis;
  let chat; // [node 1, node 2] on /chat (ChatController)
  let other; // node 1 on /other (another controller)
  let plain; // node 1 on /plain (no redis_channel_name)
  let app2; // node 1 on /app2 (another app's channel)
  const sessions = new Map(); // endpoint path + node → session id, from on_open

  before(async () => {
    release = await shareBroker(bus, 'plezi_redis.test.mjs');
    backend = await startHttpBackend(() => ({}));
    nodes = await startNodes(bus, {
      count: 2,
      config: `[backend]\nurl = "${backend.url}"\n` +
        `[[endpoints]]\npath = "/chat"\ndialect = "plezi"\nauto_dispatch = true\n` +
        `redis_channel_name = "${channel}"\ncontroller = "ChatController"\n` +
        `[[endpoints]]\npath = "/other"\ndialect = "plezi"\nredis_channel_name = "${channel}"\n` +
        `[[endpoints]]\npath = "/plain"\ndialect = "plezi"\n` +
        `[[endpoints]]\npath = "/app2"\ndialect = "plezi"\nredis_channel_name = "${channel}-2"\n`,
    });
    redis = createClient({ url: bus.url });
    redis.on('error', () => {});
    await redis.connect();
    // Each node subscribes the global channel and its own once the bus is ready.
    await eventually(async () => numSubOk(await redis.sendCommand(['PUBSUB', 'NUMSUB', channel, 'herald-0001', 'herald-0002'])),
      'both nodes listen to the channels');
    await eventually(async () => Number((await redis.sendCommand(['PUBSUB', 'NUMSUB', `${channel}-2`]))[1]) >= 2,
      'both nodes listen to the second app\'s channel');
    chat = [await connectPlezi(nodes[0], '/chat'), await connectPlezi(nodes[1], '/chat')];
    other = await connectPlezi(nodes[0], '/other');
    [plain, app2] = [await connectPlezi(nodes[0], '/plain'), await connectPlezi(nodes[0], '/app2')];
    await backend.received(5);
    for (const r of backend.requests) sessions.set(`${r.endpoint}@${r.node}`, r.session);
  });
  after(async () => {
    for (const c of [...(chat ?? []), other, plain, app2].filter(Boolean)) await c.close();
    await redis?.close();
    const results = await Promise.all((nodes ?? []).map((n) => n.stop()));
    await backend?.stop();
    release?.();
    for (const r of results) assert.equal(r.code, 0);
  });

  test('a broadcast of ChatController reaches its endpoint\'s sessions on every node, once', async () => {
    await redis.publish(channel, broadcastYaml('ChatController'));
    for (const c of chat) assert.equal(await c.next(), '{"event":"chat","data":["hello",2]}');
    // The other controller's session got nothing: a multicast after it arrives first.
    await redis.publish(channel, broadcastYaml(':all'));
    assert.equal(await other.next(), '{"event":"chat","data":["hello",2]}');
    for (const c of chat) assert.equal(await c.next(), '{"event":"chat","data":["hello",2]}');
    assert.equal(chat[0].queue.length + chat[1].queue.length + other.queue.length, 0);
    // Another app's endpoint, on the same node, gets its own channel's messages only, and an
    // endpoint without a channel gets none: the second app's multicast is the first either sees.
    await redis.publish(`${channel}-2`, broadcastYaml(':all'));
    assert.equal(await app2.next(), '{"event":"chat","data":["hello",2]}');
    assert.equal(app2.queue.length + plain.queue.length, 0);
  });

  test('a unicast on a node\'s own channel reaches the one session it names', async () => {
    const target = sessions.get('/chat@2');
    await redis.publish('herald-0002', unicastYaml(target, 'herald-0002'));
    assert.equal(await chat[1].next(), '{"event":"notice","data":[{"text":"hi"}]}');
    // On the global channel, only the node that holds the session delivers it.
    const first = sessions.get('/chat@1');
    await redis.publish(channel, unicastYaml(first, 'herald-0001'));
    assert.equal(await chat[0].next(), '{"event":"notice","data":[{"text":"hi"}]}');
    // Node 1 delivered it once, though it hears both channels: a multicast after it is the
    // next each session gets.
    await redis.publish(channel, broadcastYaml(':all'));
    for (const c of [chat[1], chat[0], other]) assert.equal(await c.next(), '{"event":"chat","data":["hello",2]}');
  });

  test('JSON with the same keys works too, and a message that says too little is dropped', async () => {
    await redis.publish(channel, '---\n:method: :chat\n:type: :all\n'); // no data
    await redis.publish(channel, JSON.stringify({ method: 'json', data: [true], type: 'all' }));
    assert.equal(await other.next(), '{"event":"json","data":[true]}');
  });
});

// PUBSUB NUMSUB's [channel, count, channel, count, …]: the global channel has both nodes,
// each own channel its node.
function numSubOk(reply) {
  return Number(reply[1]) >= 2 && Number(reply[3]) >= 1 && Number(reply[5]) >= 1;
}
