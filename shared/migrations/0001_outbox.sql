-- The runtime's transactional outbox: the events a batch must publish are written in the
-- same transaction as the batch's effects, so a crash between the database commit and
-- Kafka's acknowledgement loses nothing. One row holds one batch's events.
CREATE SCHEMA IF NOT EXISTS crible;

CREATE TABLE crible.outbox (
    id bigserial PRIMARY KEY,
    service text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    record_count integer NOT NULL,
    records bytea NOT NULL
);

-- The blob is JSON already dense enough; compressing it cost more CPU than it saved I/O.
ALTER TABLE crible.outbox ALTER COLUMN records SET STORAGE EXTERNAL;

CREATE INDEX outbox_service_created ON crible.outbox (service, created_at);
