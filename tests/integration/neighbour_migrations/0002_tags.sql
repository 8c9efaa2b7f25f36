-- A later migration, unqualified: migrations run with the service's schema as search path.
CREATE TABLE tags (
    note_id bigint NOT NULL REFERENCES notes (id),
    tag text NOT NULL
);
