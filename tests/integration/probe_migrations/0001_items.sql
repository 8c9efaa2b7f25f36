-- The probe service's tables (tests of the runtime): items it stores, shapes of a union topic.
CREATE TABLE items (id text PRIMARY KEY, stage text);
CREATE TABLE shapes (id text PRIMARY KEY, kind text);
