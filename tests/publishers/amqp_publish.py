#!/usr/bin/python3
"""Publishes messages to RabbitMQ the way a back end does: basic_publish(exchange, routing_key,
body), with no content type, no headers and no other properties. Uses Debian's python3-pika.

    amqp_publish.py URL EXCHANGE ROUTING_KEY BODY [BODY...]

Each BODY is published as given (UTF-8), in order, on one channel with publisher confirms, so
the script exits 0 only once the broker has taken every message. It prints "published N".
"""
import sys

import pika


def main():
    if len(sys.argv) < 5:
        sys.exit(__doc__)
    url, exchange, routing_key, bodies = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
    connection = pika.BlockingConnection(pika.URLParameters(url))
    try:
        channel = connection.channel()
        channel.confirm_delivery()  # basic_publish then returns once the broker confirmed
        for body in bodies:
            channel.basic_publish(exchange=exchange, routing_key=routing_key,
                                  body=body.encode('utf-8'))
    finally:
        connection.close()
    print(f'published {len(bodies)}')


if __name__ == '__main__':
    main()
