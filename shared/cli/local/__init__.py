"""The local stack behind ``make run`` and ``make test``: Kafka and PostgreSQL on 127.0.0.1.

Each piece is started only when the matching setting is absent from the environment
(``KAFKA_BOOTSTRAP_SERVERS``, ``DATABASE_URL``); otherwise the existing one is used.
"""
