#!/usr/bin/python3
"""Publishes messages to Redis the way a back end does: PUBLISH CHANNEL BODY. Uses Debian's
python3-redis.

    redis_publish.py URL CHANNEL BODY [BODY...]

Each BODY is published as given (UTF-8), in order. Prints one line per message: the number of
subscribers that received it, as PUBLISH answered (for Herald: the nodes whose subscriptions
matched the channel).
"""
import sys

import redis


def main():
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    url, channel, bodies = sys.argv[1], sys.argv[2], sys.argv[3:]
    client = redis.Redis.from_url(url, socket_connect_timeout=5, socket_timeout=10)
    try:
        for body in bodies:
            print(client.publish(channel, body.encode('utf-8')))
    finally:
        client.close()


if __name__ == '__main__':
    main()
