"""The schema guard: no login role but a superuser may disable, drop or replace a guard.

Invariants that protect people (two-person approval, an append-only audit log, a request's
lifecycle) are enforced by triggers named ``guard_*``. The owner role of a service's schema
may alter its own tables, so without this guard it could ``ALTER TABLE ... DISABLE TRIGGER``
and write what the triggers refuse. The guard is a pair of event triggers (which only a
superuser can create, disable or drop) that, after every DDL command and every drop by a
non-superuser, check that each registered ``guard_*`` trigger is still there, enabled, on the
same table and running the same function, and that the functions they and any ``guard_*``
function define are unchanged; if not, the command fails and rolls back. New guards register
themselves as they are created; a superuser's DDL re-registers what it changed (changing a
guard is an administrator's act).

An administrator installs it once per database: ``crible db guard`` with
``CRIBLE_ADMIN_DATABASE_URL`` (a superuser, or a managed service's equivalent role), and
``crible local`` does it for the local server. What it cannot stop: a superuser, and whoever
can drop the database.
"""

from __future__ import annotations

import logging

import asyncpg

from shared.db import Connection

log = logging.getLogger(__name__)

#: The event triggers' names (``pg_event_trigger`` is readable by every role).
EVENT_TRIGGERS = ("crible_guard_ddl", "crible_guard_drop")

_SQL = r"""
CREATE SCHEMA IF NOT EXISTS crible_guard;
-- Whoever owned it before (an older tool handing schemas around), the superuser owns it now.
ALTER SCHEMA crible_guard OWNER TO CURRENT_USER;
REVOKE ALL ON SCHEMA crible_guard FROM PUBLIC;

CREATE TABLE IF NOT EXISTS crible_guard.triggers (
    trigger_oid oid PRIMARY KEY,
    table_name text NOT NULL,
    trigger_name text NOT NULL,
    function_oid oid NOT NULL,
    registered_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS crible_guard.functions (
    function_oid oid PRIMARY KEY,
    signature text NOT NULL,
    definition_md5 text NOT NULL,
    registered_at timestamptz NOT NULL DEFAULT now()
);
ALTER TABLE crible_guard.triggers OWNER TO CURRENT_USER;
ALTER TABLE crible_guard.functions OWNER TO CURRENT_USER;
REVOKE ALL ON ALL TABLES IN SCHEMA crible_guard FROM PUBLIC;

-- Register the guard triggers and functions not yet known (adding a guard is always allowed).
CREATE OR REPLACE FUNCTION crible_guard.register() RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog AS $$
BEGIN
    INSERT INTO crible_guard.triggers (trigger_oid, table_name, trigger_name, function_oid)
    SELECT t.oid, t.tgrelid::regclass::text, t.tgname, t.tgfoid
    FROM pg_trigger t
    WHERE t.tgname LIKE 'guard\_%' AND NOT t.tgisinternal
    ON CONFLICT DO NOTHING;
    INSERT INTO crible_guard.functions (function_oid, signature, definition_md5)
    SELECT p.oid, p.oid::regprocedure::text, md5(pg_get_functiondef(p.oid))
    FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
    WHERE p.prokind = 'f'
      AND ((p.proname LIKE 'guard\_%'
            AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'crible_guard'))
           OR p.oid IN (SELECT g.function_oid FROM crible_guard.triggers g))
    ON CONFLICT DO NOTHING;
END $$;

-- A superuser changed things: the registry follows.
CREATE OR REPLACE FUNCTION crible_guard.resync() RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog AS $$
BEGIN
    DELETE FROM crible_guard.triggers g
    WHERE NOT EXISTS (SELECT 1 FROM pg_trigger t
                      WHERE t.oid = g.trigger_oid AND t.tgname LIKE 'guard\_%');
    UPDATE crible_guard.triggers g
    SET table_name = t.tgrelid::regclass::text, trigger_name = t.tgname,
        function_oid = t.tgfoid
    FROM pg_trigger t WHERE t.oid = g.trigger_oid;
    DELETE FROM crible_guard.functions g
    WHERE NOT EXISTS (SELECT 1 FROM pg_proc p WHERE p.oid = g.function_oid);
    UPDATE crible_guard.functions g
    SET signature = p.oid::regprocedure::text, definition_md5 = md5(pg_get_functiondef(p.oid))
    FROM pg_proc p WHERE p.oid = g.function_oid;
    PERFORM crible_guard.register();
END $$;

CREATE OR REPLACE FUNCTION crible_guard.on_ddl() RETURNS event_trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog AS $$
DECLARE
    broken text;
BEGIN
    IF (SELECT r.rolsuper FROM pg_roles r WHERE r.rolname = session_user) THEN
        PERFORM crible_guard.resync();
        RETURN;
    END IF;
    SELECT format('trigger %s on %s', g.trigger_name, g.table_name) INTO broken
    FROM crible_guard.triggers g LEFT JOIN pg_trigger t ON t.oid = g.trigger_oid
    WHERE t.oid IS NULL OR t.tgname <> g.trigger_name
       OR t.tgrelid::regclass::text <> g.table_name OR t.tgfoid <> g.function_oid
       OR t.tgenabled NOT IN ('O', 'A')
    LIMIT 1;
    IF broken IS NULL THEN
        SELECT format('function %s', g.signature) INTO broken
        FROM crible_guard.functions g LEFT JOIN pg_proc p ON p.oid = g.function_oid
        WHERE p.oid IS NULL OR md5(pg_get_functiondef(p.oid)) <> g.definition_md5
        LIMIT 1;
    END IF;
    IF broken IS NOT NULL THEN
        RAISE EXCEPTION 'crible guard: % is protected; only a superuser may disable, drop, '
            'rename or replace it', broken
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    PERFORM crible_guard.register();
END $$;
ALTER FUNCTION crible_guard.register() OWNER TO CURRENT_USER;
ALTER FUNCTION crible_guard.resync() OWNER TO CURRENT_USER;
ALTER FUNCTION crible_guard.on_ddl() OWNER TO CURRENT_USER;
REVOKE ALL ON FUNCTION crible_guard.register(), crible_guard.resync(), crible_guard.on_ddl()
    FROM PUBLIC;
"""


async def install(admin_dsn: str) -> None:
    """Install (or update) the guard in the database ``admin_dsn`` names, as a superuser."""
    conn = await asyncpg.connect(admin_dsn)
    try:
        if not await conn.fetchval("SELECT rolsuper FROM pg_roles WHERE rolname = current_user"):
            raise PermissionError("the schema guard is installed by a superuser")
        async with conn.transaction():
            await conn.execute(_SQL)
            present = {
                r["evtname"] for r in await conn.fetch("SELECT evtname FROM pg_event_trigger")
            }
            for name, event in zip(EVENT_TRIGGERS, ("ddl_command_end", "sql_drop"), strict=True):
                if name not in present:
                    await conn.execute(
                        f"CREATE EVENT TRIGGER {name} ON {event} "
                        "EXECUTE FUNCTION crible_guard.on_ddl()"
                    )
                await conn.execute(f"ALTER EVENT TRIGGER {name} ENABLE ALWAYS")
            await conn.execute("SELECT crible_guard.resync()")
    finally:
        await conn.close()
    log.info("schema guard installed")


async def installed(conn: Connection) -> bool:
    """Whether the guard's event triggers exist and are enabled (any role may ask)."""
    found = await conn.fetchval(
        "SELECT count(*) FROM pg_event_trigger WHERE evtname = ANY($1::text[]) "
        "AND evtenabled <> 'D'",
        list(EVENT_TRIGGERS),
    )
    return bool(found == len(EVENT_TRIGGERS))
