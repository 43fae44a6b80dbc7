#!/usr/bin/env python3
"""The example back end over RabbitMQ, with Debian's python3-pika: a worker that takes Herald's
requests from a queue (run as many as you like: they compete for requests) and answers each
to the node that asked.

    python3 examples/python/pika_worker.py AMQP_URL [QUEUE]     (default queue herald.requests)

Herald's side:

    [bus]
    url = "amqp://guest:guest@127.0.0.1:5672/"
    [backend]
    queue = "herald.requests"
"""
import json
import sys

import pika

from app import handle


def main():
    url = sys.argv[1]
    queue = sys.argv[2] if len(sys.argv) > 2 else "herald.requests"
    connection = pika.BlockingConnection(pika.URLParameters(url))
    channel = connection.channel()
    channel.queue_declare(queue, durable=True)  # requests wait out a broker restart

    def on_request(channel, method, props, body):
        answer = handle(json.loads(body))
        channel.basic_publish("", props.reply_to, json.dumps(answer),
                              pika.BasicProperties(correlation_id=props.correlation_id,
                                                   content_type="application/json"))

    channel.basic_consume(queue, on_request, auto_ack=True)
    print(f"consuming {queue}", flush=True)
    try:
        channel.start_consuming()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
