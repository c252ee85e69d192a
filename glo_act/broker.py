"""The Celery broker transport: kombu's Redis transport, made to live through a Redis restart.

Settings point Celery at `Transport` (CELERY_BROKER_TRANSPORT) whenever REDIS_URL is set.

What goes wrong with the stock transport: a worker holds messages it has not acknowledged (a
webhook retry waiting for its countdown, a task running). Redis restarts. The worker's consumer
"collects" the broken connection, which also clears the transport's link back to its
connection (`transport.client = None`), and then closes the connection once more. That second
close restores the unacknowledged messages, which needs the connection's host and port, read
through the cleared link: `AttributeError: 'NoneType' object has no attribute 'hostname'`. It
is not a connection error, so nothing catches it and the worker exits, with nothing delivered
until someone starts it again.

And when Redis comes back quickly but empty (no persistence), the stock restore looks each
message up in Redis's copy of the unacknowledged ones, finds nothing, and drops it silently.

The changes, all contained here:

- A channel remembers its connection's parameters, so restoring on close reaches Redis (or
  fails with a connection error) instead of crashing.
- Restoring prefers Redis's copy of a message (moved back once), and uses the copy the worker
  holds in memory when Redis lost its own, into the queue the routing key names if the
  bindings were lost too.
- Messages that cannot be put back because Redis is unreachable are kept in this process and
  put back by the first channel that consumes again.

A message put back this way may run again; every task here is idempotent (each send claims its
delivery row first), and the sweeper covers any message lost with a worker that exits.
"""

from __future__ import annotations

import contextlib
import logging
import threading

from kombu.transport import redis as kombu_redis
from kombu.utils.encoding import bytes_to_str
from kombu.utils.json import dumps, loads

__all__ = ["Channel", "QoS", "Transport", "parked_messages"]

logger = logging.getLogger(__name__)

# (delivery tag, raw payload, exchange, routing key) of messages a lost connection held.
_parked: list[tuple[str, dict, str, str]] = []
_parked_lock = threading.Lock()


def parked_messages() -> int:
    """How many messages wait to be put back once the broker answers again."""
    with _parked_lock:
        return len(_parked)


class QoS(kombu_redis.QoS):
    def restore_unacked(self, client=None):
        """Put back every message this channel holds unacknowledged (the channel is closing).

        kombu's own version restores each from Redis's copy only, so a message Redis lost in a
        restart is dropped, and one it cannot reach raises. Here the copy in memory stands in
        for a lost one, and what cannot reach Redis now waits for the next connection."""
        held = [
            (
                tag,
                message._raw,
                message.delivery_info.get("exchange", ""),
                message.delivery_info.get("routing_key", ""),
            )
            for tag, message in self._delivered.items()
        ]
        self._delivered.clear()
        _put_back(self.channel, held, client)


def _put_back(channel, held: list, client=None) -> None:
    """Requeue `held` through `channel`; what Redis does not take now is parked for later."""
    done = 0
    try:
        with channel.conn_or_acquire(client) as connected:
            for tag, payload, exchange, routing_key in held:
                channel._restore_one(connected, tag, payload, exchange, routing_key)
                done += 1
    except channel.connection_errors as exc:
        with _parked_lock:
            _parked.extend(held[done:])
        logger.warning(
            "Broker unreachable (%s): %d unacknowledged message(s) kept until it is back.",
            type(exc).__name__,
            len(held) - done,
        )
    finally:
        if done:
            logger.info("Put back %d message(s) held through a broker outage.", done)


class Channel(kombu_redis.Channel):
    QoS = QoS

    def __init__(self, connection, *args, **kwargs):
        # The kombu Connection this channel was opened for: the transport forgets it when the
        # connection is collected after a failure, and a later close still needs it.
        self._conninfo = connection.client
        super().__init__(connection, *args, **kwargs)

    def _connparams(self, asynchronous=False):
        transport = self.connection
        if transport.client is not None or self._conninfo is None:
            return super()._connparams(asynchronous=asynchronous)
        transport.client = self._conninfo
        try:
            return super()._connparams(asynchronous=asynchronous)
        finally:
            transport.client = None

    def basic_consume(self, queue, *args, **kwargs):
        tag = super().basic_consume(queue, *args, **kwargs)
        # Consuming means the connection works and the queues are declared again: the place to
        # put back what a lost connection held.
        with _parked_lock:
            waiting = list(_parked)
            _parked.clear()
        if waiting:
            _put_back(self, waiting)
        return tag

    def _restore_one(self, client, tag: str, payload: dict, exchange: str, routing_key: str):
        """Requeue one message: Redis's copy if it kept one (moved, so it is not restored a
        second time when its visibility timeout ends), else `payload`. A Redis that lost its
        data lost the exchange's bindings too; the routing key names the queue then."""
        qos = self.qos
        queues = self._lookup(exchange, routing_key) or ([routing_key] if routing_key else [])

        def transaction(pipe):
            stored = pipe.hget(qos.unacked_key, tag)
            pipe.multi()
            qos._remove_from_indices(tag, pipe)
            message = loads(bytes_to_str(stored))[0] if stored else payload
            with contextlib.suppress(KeyError, TypeError):
                message["headers"]["redelivered"] = True
                message["properties"]["delivery_info"]["redelivered"] = True
            priority = self._get_message_priority(message, reverse=False)
            for queue in queues:
                pipe.rpush(self._q_for_pri(queue, priority), dumps(message))

        client.transaction(transaction, qos.unacked_key)


class Transport(kombu_redis.Transport):
    Channel = Channel
