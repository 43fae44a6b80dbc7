#!/usr/bin/env python3
"""The example back end over HTTP, with nothing but Python's standard library.

    python3 examples/python/http_backend.py [PORT]      (default 8000; 0 picks a free port)

Herald's side (config.toml beside this file):

    [backend]
    url = "http://127.0.0.1:8000/herald"
"""
import json
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from app import handle


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as Herald's connection pool expects

    def do_POST(self):
        length = int(self.headers.get("Content-Length", 0))
        request = json.loads(self.rfile.read(length))
        answer = handle(request)
        body = json.dumps(answer).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def main():
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 8000
    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    print(f"listening on http://127.0.0.1:{server.server_address[1]}/herald", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
