-- Written as a service's first migration is: it names its schema, then its tables.
CREATE SCHEMA IF NOT EXISTS neighbour;

CREATE TABLE neighbour.notes (
    id bigserial PRIMARY KEY,
    body text NOT NULL
);
