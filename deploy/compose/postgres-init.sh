#!/usr/bin/env bash
# PostgreSQL's first start in docker compose (mounted into /docker-entrypoint-initdb.d/):
# what `crible local` does for its own server. The superuser makes the owner role that
# `crible migrate` runs as (CREATEROLE, not a superuser) and the database it owns, and each
# service's login role with the password of that service's DSN (deploy/compose/make_secrets.py).
# `crible migrate` then finds the login roles and gives each the rows of its own schema only.
set -euo pipefail

psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
  --set owner_password="$PG_OWNER_PASSWORD" <<'SQL'
CREATE ROLE crible_owner LOGIN CREATEROLE PASSWORD :'owner_password';
CREATE DATABASE crible OWNER crible_owner;
SQL

for service in $PG_SERVICES; do
  variable="PG_ROLE_PASSWORD_${service^^}"
  # As if crible_owner had created the role: it administers it, without its privileges.
  psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
    --set role="crible_${service}" --set password="${!variable}" <<'SQL'
CREATE ROLE :"role" LOGIN PASSWORD :'password';
GRANT :"role" TO crible_owner WITH ADMIN TRUE, INHERIT FALSE, SET FALSE;
SQL
done
