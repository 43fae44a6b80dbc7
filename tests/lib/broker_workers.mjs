// Back-end workers that take Herald's requests from the broker, as docs/backend.md tells a back
// end to: RabbitMQ (amqplib: consume the request queue, answer to reply_to with the
// correlation id) and Redis (node-redis: a consumer group on the request stream, answer by
// PUBLISH to reply_to with "correlation_id" in the answer). `answer(request)` returns the
// answer object, or an array of them (answered more than once), or null (never answered).
import amqplib from 'amqplib';
import { createClient } from 'redis';

export async function startWorker(bus, destination, answer) {
  const requests = [];
  const arrivals = [];
  const take = (request) => {
    requests.push(request);
    for (const w of arrivals.splice(0)) w();
  };
  const answers = (request) => {
    const a = worker.answer(request); // the test may swap it

    return a === null ? [] : Array.isArray(a) ? a : [a];
  };
  let stop;
  if (bus.name === 'amqp') {
    const connection = await amqplib.connect(bus.url);
    const channel = await connection.createChannel();
    await channel.assertQueue(destination, { durable: false, autoDelete: true });
    await channel.consume(destination, (m) => {
      const request = JSON.parse(m.content.toString());
      request.replyTo = m.properties.replyTo;
      request.correlationId = m.properties.correlationId;
      take(request);
      for (const a of answers(request)) {
        channel.sendToQueue(m.properties.replyTo, Buffer.from(typeof a === 'string' ? a : JSON.stringify(a)),
          { correlationId: m.properties.correlationId });
      }
    }, { noAck: true });
    stop = () => connection.close();
  } else {
    const reader = createClient({ url: bus.url });
    const writer = createClient({ url: bus.url });
    for (const c of [reader, writer]) { c.on('error', () => {}); await c.connect(); }
    try { await reader.xGroupCreate(destination, 'workers', '0', { MKSTREAM: true }); } catch { /* exists */ }
    let running = true;
    const loop = (async () => {
      while (running) {
        const batch = await reader.xReadGroup('workers', 'w1', { key: destination, id: '>' }, { BLOCK: 200, COUNT: 10 })
          .catch(() => null);
        for (const stream of batch ?? []) {
          for (const { message } of stream.messages) {
            const request = JSON.parse(message.request);
            request.replyTo = message.reply_to;
            request.correlationId = message.correlation_id;
            take(request);
            for (const a of answers(request)) {
              const body = typeof a === 'string' ? a : JSON.stringify({ correlation_id: message.correlation_id, ...a });
              await writer.publish(message.reply_to, body);
            }
          }
        }
      }
    })();
    stop = async () => { running = false; await loop; await reader.close(); await writer.close(); };
  }
  const worker = {
    requests,
    answer,
    async received(count) {
      while (requests.length < count) await new Promise((resolve) => arrivals.push(resolve));
      return requests;
    },
    stop,
  };
  return worker;
}
