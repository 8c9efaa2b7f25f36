-- Who stored a row, and for which environment's topics: the relay publishes a row as soon
-- as its worker's liveness lock is free (the worker died), never while the worker lives
-- (a slow publish is not an orphan), and only into the topics of its own topic prefix.
-- Rows from before (no worker, no prefix) are relayed by age, by any worker, as they were.
ALTER TABLE outbox ADD COLUMN worker integer;
ALTER TABLE outbox ADD COLUMN topic_prefix text;
