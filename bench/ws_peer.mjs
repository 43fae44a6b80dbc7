// The baseline of `make bench`: the broadcast server a team would write with the `ws` package.
// A connection on /publish is a publisher; each message it sends goes, as received, to every
// other connection. Usage: node bench/ws_peer.mjs [PORT] (0 or none: any free port; also
// WS_PEER_PORT). Listens on WS_PEER_HOST, default 127.0.0.1.
import { WebSocket, WebSocketServer } from 'ws';

const port = Number(process.argv[2] ?? process.env.WS_PEER_PORT ?? 0);
const host = process.env.WS_PEER_HOST ?? '127.0.0.1';

const wss = new WebSocketServer({ host, port });

wss.on('connection', (socket, request) => {
  socket.on('error', (error) => console.error(`ws peer: ${error.message}`));
  if (request.url !== '/publish') {
    return;
  }
  socket.on('message', (data, isBinary) => {
    for (const client of wss.clients) {
      if (client !== socket && client.readyState === WebSocket.OPEN) {
        client.send(data, { binary: isBinary });
      }
    }
  });
});

wss.on('listening', () => {
  console.log(`ws peer listening on ws://${host}:${wss.address().port}`);
});
