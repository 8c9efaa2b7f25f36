-- legal.sessions partitioned by day of observed_at (PostgreSQL's native range partitioning):
-- retention drops a day that is past its year whole instead of deleting it row by row, and
-- a request for a period reads only that period's days. A day partition is named
-- sessions_YYYYMMDD and covers [that day, the next) in UTC; the DEFAULT partition holds
-- what no day partition covers: sessions a preservation order kept after their day was
-- dropped, and strays (a time far in the past or the future), which retention deletes row
-- by row as before (services/legal/adapters/postgres/retention.py).
--
-- The service's role creates and drops day partitions only through the two functions below
-- (it has no DDL rights): they run as this schema's owner role, and check what they are
-- given. Existing rows are copied over in this migration, within this transaction.

ALTER TABLE legal.sessions RENAME TO sessions_before_0013;

CREATE TABLE legal.sessions (
    row_id text NOT NULL,
    platform_user_id text NOT NULL,
    -- Connection data is kept 1 year after this (décret 2021-1362, art. 5).
    observed_at timestamptz NOT NULL,
    utc_offset_minutes integer NOT NULL,
    address bytea NOT NULL,    -- the IP address and source port, sealed together
    key_id text NOT NULL,
    -- The partition key belongs to every unique key: a redelivered session has the same
    -- row id and time, so the intake's ON CONFLICT still finds it.
    CONSTRAINT sessions_row PRIMARY KEY (row_id, observed_at)
) PARTITION BY RANGE (observed_at);
CREATE INDEX sessions_user_time ON legal.sessions (platform_user_id, observed_at);
-- Rows not yet under their account's key (`crible legal rotate-key`): few, or none.
CREATE INDEX sessions_not_under_account_key ON legal.sessions (platform_user_id)
    WHERE key_id <> '@account';
CREATE TABLE legal.sessions_default PARTITION OF legal.sessions DEFAULT;

-- The day partitions from first_day to last_day (UTC) that are missing, created; the rows
-- the default partition holds for such a day move into it. Returns how many were created.
CREATE FUNCTION legal.create_session_days(first_day date, last_day date) RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog SET TimeZone = 'UTC' AS $$
DECLARE
    day date;
    name text;
    low timestamptz;
    high timestamptz;
    created integer := 0;
BEGIN
    IF first_day IS NULL OR last_day IS NULL OR last_day - first_day > 800 THEN
        RAISE EXCEPTION 'create_session_days takes at most 800 days at once'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    FOR day IN SELECT d::date FROM generate_series(first_day, last_day, interval '1 day') d
    LOOP
        name := 'sessions_' || to_char(day, 'YYYYMMDD');
        CONTINUE WHEN to_regclass('legal.' || name) IS NOT NULL;
        low := day::timestamp AT TIME ZONE 'UTC';
        high := (day + 1)::timestamp AT TIME ZONE 'UTC';
        IF EXISTS (SELECT 1 FROM legal.sessions_default
                   WHERE observed_at >= low AND observed_at < high) THEN
            -- A partition cannot be created over rows the default one holds: they move in
            -- first, then the table is attached (its CHECK spares the validating scan).
            EXECUTE format('CREATE TABLE legal.%I (LIKE legal.sessions INCLUDING DEFAULTS, '
                           'CONSTRAINT %I CHECK (observed_at >= %L AND observed_at < %L))',
                           name, name || '_range', low, high);
            EXECUTE format('WITH moved AS (DELETE FROM legal.sessions_default '
                           'WHERE observed_at >= $1 AND observed_at < $2 RETURNING *) '
                           'INSERT INTO legal.%I SELECT * FROM moved', name)
                USING low, high;
            EXECUTE format('ALTER TABLE legal.sessions ATTACH PARTITION legal.%I '
                           'FOR VALUES FROM (%L) TO (%L)', name, low, high);
            EXECUTE format('ALTER TABLE legal.%I DROP CONSTRAINT %I', name, name || '_range');
        ELSE
            EXECUTE format('CREATE TABLE legal.%I PARTITION OF legal.sessions '
                           'FOR VALUES FROM (%L) TO (%L)', name, low, high);
        END IF;
        created := created + 1;
    END LOOP;
    RETURN created;
END $$;

-- Drop the day partition of ``day``, whose whole day must be older than ``cutoff`` (now minus
-- the retention period). The rows of accounts a preservation order holds at ``at`` go to the
-- default partition first. Returns the rows dropped (from the statistics when the partition
-- was analysed: counting them would read the whole day), whether that is an estimate, and
-- the rows kept.
CREATE FUNCTION legal.drop_session_day(day date, cutoff timestamptz, at timestamptz)
RETURNS TABLE (dropped bigint, estimated boolean, held bigint)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog SET TimeZone = 'UTC' AS $$
DECLARE
    name text := 'sessions_' || to_char(day, 'YYYYMMDD');
    low timestamptz := day::timestamp AT TIME ZONE 'UTC';
    high timestamptz := (day + 1)::timestamp AT TIME ZONE 'UTC';
    part oid;
    bound text;
    tuples real;
    kept legal.sessions[];
BEGIN
    SELECT c.oid, pg_get_expr(c.relpartbound, c.oid), c.reltuples INTO part, bound, tuples
    FROM pg_class c JOIN pg_inherits i ON i.inhrelid = c.oid
    WHERE i.inhparent = 'legal.sessions'::regclass AND c.relname = name
      AND c.relnamespace = 'legal'::regnamespace;
    IF part IS NULL OR bound <> format('FOR VALUES FROM (%L) TO (%L)', low, high) THEN
        RAISE EXCEPTION 'legal.% is not a day partition of legal.sessions', name
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF high > cutoff THEN
        RAISE EXCEPTION 'legal.% is not past its retention', name
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    -- No row comes in for that day while it goes (a very late event waits for the drop).
    EXECUTE format('LOCK TABLE legal.%I IN SHARE MODE', name);
    EXECUTE format('SELECT array_agg(ROW(s.*)::legal.sessions) FROM legal.%I s WHERE EXISTS ('
                   'SELECT 1 FROM legal.preservations p '
                   'WHERE p.platform_user_id = s.platform_user_id AND p.lifted_at IS NULL '
                   'AND p.ends_at > $1)', name)
        INTO kept USING at;
    IF tuples < 0 THEN  -- never analysed: small or new, and counted exactly
        EXECUTE format('SELECT count(*) FROM legal.%I', name) INTO dropped;
        estimated := false;
    ELSE
        dropped := tuples::bigint;
        estimated := true;
    END IF;
    held := coalesce(cardinality(kept), 0);
    EXECUTE format('ALTER TABLE legal.sessions DETACH PARTITION legal.%I', name);
    IF held > 0 THEN
        -- The day is no longer covered: these rows route to the default partition.
        INSERT INTO legal.sessions SELECT * FROM unnest(kept) ON CONFLICT DO NOTHING;
    END IF;
    EXECUTE format('DROP TABLE legal.%I', name);
    dropped := greatest(dropped - held, 0);
    RETURN NEXT;
END $$;

-- Only the service's role (and this schema's owner) may call them.
REVOKE ALL ON FUNCTION legal.create_session_days(date, date) FROM PUBLIC;
REVOKE ALL ON FUNCTION legal.drop_session_day(date, timestamptz, timestamptz) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION legal.create_session_days(date, date) TO crible_legal;
GRANT EXECUTE ON FUNCTION legal.drop_session_day(date, timestamptz, timestamptz)
    TO crible_legal;

-- The days that hold rows within the retention window, and the month ahead; older rows and
-- rows far ahead go to the default partition, as they would arriving now.
SELECT legal.create_session_days(
    greatest(coalesce((SELECT (min(observed_at) AT TIME ZONE 'UTC')::date
                       FROM legal.sessions_before_0013), (now() AT TIME ZONE 'UTC')::date),
             (now() AT TIME ZONE 'UTC')::date - 366),
    (now() AT TIME ZONE 'UTC')::date + 31);
INSERT INTO legal.sessions SELECT * FROM legal.sessions_before_0013;
DROP TABLE legal.sessions_before_0013;
