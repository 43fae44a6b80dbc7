// The example back end over RabbitMQ, in Node with npm amqplib: a worker that takes Herald's
// requests from a queue (run as many as you like: they compete for requests) and answers each
// to the node that asked. The same application as examples/python/app.py.
//
//   node examples/node/amqplib_worker.mjs AMQP_URL [QUEUE]     (default queue herald.requests)
//
// Herald's side:  [bus] url = "amqp://…"   [backend] queue = "herald.requests"
import amqplib from 'amqplib';

const users = { 'token-alice': 'alice', 'token-bob': 'bob' };
const balances = { alice: 120.5, bob: 7.0 };
const articles = { 1: 'Herald ships', 2: 'Piped, unchanged' };

const mayHold = (identity, exchange, routingKey) =>
  exchange === 'accounts' && identity !== null && identity.subject === routingKey;

function connect({ token }) {
  const user = users[token];
  if (!user) return { allow: false, reason: 'unknown token' };
  return { allow: true, identity: user, grants: [`orders:${user}`] };
}

const handlers = {
  connect,
  authenticate: connect,
  subscribe: (r) => (mayHold(r.identity, r.exchange, r.routing_key)
    ? { allow: true } : { allow: false, reason: 'that account is not yours' }),
  touch: (r) => ({
    revoke: r.subscriptions.filter((s) => !mayHold(s.identity, s.exchange, s.routing_key))
      .map(({ session, exchange, routing_key }) => ({ session, exchange, routing_key })),
  }),
  action(r) {
    if (r.action !== 'GetBalance') return { error: `no action ${r.action}` };
    if (!r.identity) return { error: 'authenticate first' };
    const user = r.identity.subject;
    return {
      event: 'Balance',
      payload: { user, balance: balances[user] ?? 0 },
      commands: [{ command: 'subscribe', exchange: 'accounts', routing_key: user }],
    };
  },
  method(r) {
    const payload = r.payload ?? {};
    if (r.method === 'get-article') {
      const title = articles[payload.articleId];
      return title ? { payload: { articleId: payload.articleId, title } } : { error: 'no such article' };
    }
    if (r.method === 'sum') return { payload: { sum: (payload.numbers ?? []).reduce((a, b) => a + b, 0) } };
    return { error: `no method ${r.method}` };
  },
  lifecycle: () => ({}),
};

const [url, queue = 'herald.requests'] = process.argv.slice(2);
// noDelay: without it each answer can wait ~40 ms for the broker's delayed ACK (docs/backend.md).
const connection = await amqplib.connect(url, { noDelay: true });
const channel = await connection.createChannel();
await channel.assertQueue(queue, { durable: true }); // as pika_worker.py declares it
await channel.consume(queue, (message) => {
  const request = JSON.parse(message.content.toString());
  const handler = handlers[request.kind];
  const answer = handler ? handler(request) : { error: `unknown kind ${request.kind}` };
  channel.sendToQueue(message.properties.replyTo, Buffer.from(JSON.stringify(answer)),
    { correlationId: message.properties.correlationId, contentType: 'application/json' });
}, { noAck: true });
console.log(`consuming ${queue}`);
process.on('SIGTERM', async () => { await connection.close(); process.exit(0); });
