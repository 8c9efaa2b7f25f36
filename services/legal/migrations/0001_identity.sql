-- The identity store (services/legal/identity.py): every personal value sealed with
-- AES-256-GCM under a key named on its row, phone numbers and usernames found through a keyed
-- HMAC index that does not reveal them. Retention (part 2) reads closed_at and observed_at.
CREATE SCHEMA IF NOT EXISTS legal;

CREATE TABLE legal.accounts (
    platform_user_id text PRIMARY KEY,
    registered_at timestamptz NOT NULL,
    -- Civil identity is kept 5 years after this (décret 2021-1362, art. 2 and 3).
    closed_at timestamptz,
    username bytea,            -- Sealed.pack()
    username_index bytea,      -- BlindIndex.username()
    key_id text NOT NULL,
    updated_at timestamptz NOT NULL
);
CREATE INDEX accounts_username ON legal.accounts (username_index);
CREATE INDEX accounts_closed ON legal.accounts (closed_at) WHERE closed_at IS NOT NULL;
CREATE INDEX accounts_key ON legal.accounts (key_id);

CREATE TABLE legal.phone_numbers (
    row_id text PRIMARY KEY,   -- <platform user id>/<event id>: sealed values are bound to it
    platform_user_id text NOT NULL,
    since timestamptz NOT NULL,
    until timestamptz,
    phone_number bytea NOT NULL,
    phone_index bytea NOT NULL,  -- BlindIndex.phone_number(): lookups by number
    key_id text NOT NULL
);
CREATE INDEX phone_numbers_user ON legal.phone_numbers (platform_user_id, since);
CREATE INDEX phone_numbers_index ON legal.phone_numbers (phone_index);
CREATE INDEX phone_numbers_key ON legal.phone_numbers (key_id);

CREATE TABLE legal.sessions (
    row_id text PRIMARY KEY,
    platform_user_id text NOT NULL,
    -- Connection data is kept 1 year after this (décret 2021-1362, art. 5).
    observed_at timestamptz NOT NULL,
    utc_offset_minutes integer NOT NULL,
    address bytea NOT NULL,    -- the IP address and source port, sealed together
    key_id text NOT NULL
);
CREATE INDEX sessions_user ON legal.sessions (platform_user_id, observed_at);
CREATE INDEX sessions_observed ON legal.sessions (observed_at);
CREATE INDEX sessions_key ON legal.sessions (key_id);
