// A real HTTP back end for the tests: Node's http server on 127.0.0.1 and a free port. Each
// request Herald posts is parsed, recorded and handed to the test's `answer(request)`, which
// returns the JSON answer (an object), or { status, body } for a raw HTTP answer, or a promise
// of either (a slow back end), or 'hang' (never answers).
import http from 'node:http';
import { within } from './herald.mjs';

export async function startHttpBackend(answer) {
  const requests = [];
  const arrivals = [];
  const hanging = new Set();
  const server = http.createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk) => { body += chunk; });
    req.on('end', async () => {
      const request = JSON.parse(body);
      request.httpKind = req.headers['x-herald-kind'];
      requests.push(request);
      for (const waiter of arrivals.splice(0)) waiter();
      const reply = await backend.answer(request);
      if (reply === 'hang') { hanging.add(res); return; }
      if (reply && reply.status !== undefined) {
        res.writeHead(reply.status, { 'content-type': 'application/json' });
        res.end(reply.body ?? '');
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(reply));
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const backend = {
    answer,
    server, // for tests of the connection itself (keep-alive timeout, closes)
    requests,
    url: `http://127.0.0.1:${server.address().port}/herald`,
    // Waits until `count` requests have arrived in all.
    async received(count, ms = 10000) {
      while (requests.length < count) {
        await within(ms, new Promise((resolve) => arrivals.push(resolve)), `${count} back-end requests`);
      }
      return requests;
    },
    async stop() {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
  return backend;
}
