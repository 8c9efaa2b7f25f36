-- The runtime's transactional outbox, one per service, in the service's own schema (the
-- search path): the events a batch must publish are written in the same transaction as the
-- batch's effects, so a crash between the database commit and Kafka's acknowledgement loses
-- nothing. One row holds one batch's events. No service can see another's pending events.
CREATE TABLE outbox (
    id bigserial PRIMARY KEY,
    created_at timestamptz NOT NULL DEFAULT now(),
    record_count integer NOT NULL,
    records bytea NOT NULL
);

-- The blob is JSON already dense enough; compressing it cost more CPU than it saved I/O.
ALTER TABLE outbox ALTER COLUMN records SET STORAGE EXTERNAL;

CREATE INDEX outbox_created ON outbox (created_at);
