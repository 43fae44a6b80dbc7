// A Plezi client over a real WebSocket (npm ws): messages, text as strings and binary as
// Buffers, queued in arrival order; next() waits for the first one that matches.
import WebSocket from 'ws';
import { within } from './herald.mjs';

export async function connectPlezi(on, path) {
  const ws = new WebSocket(on.wsUrl(path));
  const queue = [];
  const waiters = [];
  ws.on('message', (data, binary) => {
    const m = binary ? data : data.toString();
    const i = waiters.findIndex((w) => w.match(m));
    if (i >= 0) waiters.splice(i, 1)[0].resolve(m); else queue.push(m);
  });
  const closed = new Promise((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })));
  await within(5000, new Promise((resolve, reject) => { ws.once('open', resolve); ws.once('error', reject); }), 'open');
  const client = {
    ws,
    send: (message) => ws.send(typeof message === 'object' && !Buffer.isBuffer(message) ? JSON.stringify(message) : message),
    next(match = () => true, what = 'a message') {
      const i = queue.findIndex(match);
      if (i >= 0) return Promise.resolve(queue.splice(i, 1)[0]);
      return within(5000, new Promise((resolve) => waiters.push({ match, resolve })), what);
    },
    async json() { return JSON.parse(await client.next()); },
    close: () => { ws.close(); return closed; },
    closed,
    queue,
  };
  return client;
}

