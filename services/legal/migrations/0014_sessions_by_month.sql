-- legal.sessions partitioned by month of observed_at instead of by day (0013): a request for
-- an account's year probes 13 or 14 partitions' indexes instead of about 400 (measured at
-- 100 million sessions: 92 ms a year's read with days), and retention drops a month past its
-- year whole, one DROP instead of 30. Retention stays at the precision the law asks for: the
-- rows of the oldest month already past their year are deleted row by row in the meantime
-- (services/legal/adapters/postgres/session_months.py), found through a BRIN index of
-- observed_at (a few pages: rows arrive in about the order they were observed).
--
-- A month partition is named sessions_YYYYMM and covers [its first day, the next month's)
-- in UTC; the DEFAULT partition holds what no month covers (rows a preservation order kept
-- after their month was dropped, and strays), deleted row by row as before. The service's
-- role still makes and drops partitions only through the functions below (no DDL rights).
-- A month past its year is detached in one short transaction (the lock on legal.sessions is
-- held only for that), then dropped in the next: dropping frees the files, which takes time
-- in proportion to the month's size, and is done holding a lock on that table alone.
-- Every row is copied over in this transaction: on a large store, a maintenance window.

ALTER TABLE legal.sessions RENAME TO sessions_before_0014;
ALTER TABLE legal.sessions_default RENAME TO sessions_default_before_0014;
ALTER INDEX legal.sessions_row RENAME TO sessions_row_before_0014;
ALTER INDEX legal.sessions_user_time RENAME TO sessions_user_time_before_0014;
ALTER INDEX legal.sessions_not_under_account_key
    RENAME TO sessions_not_under_account_key_before_0014;
DROP FUNCTION legal.create_session_days(date, date);
DROP FUNCTION legal.drop_session_day(date, timestamptz, timestamptz);

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
-- The oldest month's rows past their year, for the row-by-row trim.
CREATE INDEX sessions_time ON legal.sessions USING brin (observed_at);
CREATE TABLE legal.sessions_default PARTITION OF legal.sessions DEFAULT;

-- The month partitions from first_month's to last_month's (UTC) that are missing, created;
-- the rows the default partition holds for such a month move into it. Returns how many.
CREATE FUNCTION legal.create_session_months(first_month date, last_month date)
RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog SET TimeZone = 'UTC' AS $$
DECLARE
    month date;
    name text;
    low timestamptz;
    high timestamptz;
    created integer := 0;
BEGIN
    IF first_month IS NULL OR last_month IS NULL OR last_month - first_month > 1100 THEN
        RAISE EXCEPTION 'create_session_months takes at most 36 months at once'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    FOR month IN SELECT m::date FROM generate_series(date_trunc('month', first_month),
                                                     last_month, interval '1 month') m
    LOOP
        name := 'sessions_' || to_char(month, 'YYYYMM');
        CONTINUE WHEN to_regclass('legal.' || name) IS NOT NULL;
        low := month::timestamp AT TIME ZONE 'UTC';
        high := (month + interval '1 month')::timestamp AT TIME ZONE 'UTC';
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

-- Detach the month partition of ``month`` (its first day), whose whole month must be older
-- than ``cutoff`` (now minus the retention period); legal.drop_detached_session_month drops
-- it next. The rows of accounts a preservation order holds at ``at`` go to the default
-- partition. Returns the rows detached (from the statistics when the partition was
-- analysed: counting them would read the month whole), whether that is an estimate, and
-- the rows kept.
CREATE FUNCTION legal.detach_session_month(month date, cutoff timestamptz, at timestamptz)
RETURNS TABLE (dropped bigint, estimated boolean, held bigint)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog SET TimeZone = 'UTC' AS $$
DECLARE
    name text := 'sessions_' || to_char(month, 'YYYYMM');
    low timestamptz := month::timestamp AT TIME ZONE 'UTC';
    high timestamptz := (month + interval '1 month')::timestamp AT TIME ZONE 'UTC';
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
        RAISE EXCEPTION 'legal.% is not a month partition of legal.sessions', name
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF high > cutoff THEN
        RAISE EXCEPTION 'legal.% is not past its retention', name
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    -- No row comes in for that month while it goes (a very late event waits for the drop).
    EXECUTE format('LOCK TABLE legal.%I IN SHARE MODE', name);
    -- Found from the orders through each account's index, never by reading the month whole
    -- (a month is millions of rows; the running orders are a handful).
    EXECUTE format('SELECT array_agg(ROW(s.*)::legal.sessions) FROM ('
                   'SELECT DISTINCT p.platform_user_id FROM legal.preservations p '
                   'WHERE p.lifted_at IS NULL AND p.ends_at > $1) p '
                   'CROSS JOIN LATERAL (SELECT * FROM legal.%I s '
                   'WHERE s.platform_user_id = p.platform_user_id) s', name)
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
        -- The month is no longer covered: these rows route to the default partition.
        INSERT INTO legal.sessions SELECT * FROM unnest(kept) ON CONFLICT DO NOTHING;
    END IF;
    dropped := greatest(dropped - held, 0);
    RETURN NEXT;
END $$;

-- Drop ``month``'s table once legal.detach_session_month has detached it: only a plain table
-- of that name that is no partition (what that function leaves, even after a crash between
-- the two), never one still attached. Returns whether there was one to drop.
CREATE FUNCTION legal.drop_detached_session_month(month date) RETURNS boolean
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog SET TimeZone = 'UTC' AS $$
DECLARE
    name text := 'sessions_' || to_char(month, 'YYYYMM');
    part oid := to_regclass('legal.' || name);
BEGIN
    IF part IS NULL THEN
        RETURN false;
    END IF;
    IF EXISTS (SELECT 1 FROM pg_inherits WHERE inhrelid = part)
       OR (SELECT relkind FROM pg_class WHERE oid = part) <> 'r' THEN
        RAISE EXCEPTION 'legal.% is not a detached month of legal.sessions', name
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    EXECUTE format('DROP TABLE legal.%I', name);
    RETURN true;
END $$;

-- Only the service's role (and this schema's owner) may call them.
REVOKE ALL ON FUNCTION legal.create_session_months(date, date) FROM PUBLIC;
REVOKE ALL ON FUNCTION legal.detach_session_month(date, timestamptz, timestamptz) FROM PUBLIC;
REVOKE ALL ON FUNCTION legal.drop_detached_session_month(date) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION legal.create_session_months(date, date) TO crible_legal;
GRANT EXECUTE ON FUNCTION legal.detach_session_month(date, timestamptz, timestamptz)
    TO crible_legal;
GRANT EXECUTE ON FUNCTION legal.drop_detached_session_month(date) TO crible_legal;

-- The months that hold rows within the retention window, and the month ahead; older rows go
-- to the default partition, as they would arriving now (retention deletes them row by row).
SELECT legal.create_session_months(
    greatest(coalesce((SELECT (min(observed_at) AT TIME ZONE 'UTC')::date
                       FROM legal.sessions_before_0014), (now() AT TIME ZONE 'UTC')::date),
             (now() AT TIME ZONE 'UTC')::date - 366),
    (now() AT TIME ZONE 'UTC')::date + 31);
INSERT INTO legal.sessions SELECT * FROM legal.sessions_before_0014;
DROP TABLE legal.sessions_before_0014;
