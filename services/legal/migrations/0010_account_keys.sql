-- Envelope encryption of the identity store (services/legal/core/fieldcrypt.py): each
-- account's identity fields are sealed with a data key of its own, kept here wrapped by a
-- configured key (key_id names it; `crible legal rotate-key` re-wraps these rows instead of
-- re-encrypting every field). Rows sealed so carry key_id '@account'. Deleting an account's
-- key (retention does, with the account) leaves whatever remains of its data unreadable.
CREATE TABLE legal.account_keys (
    platform_user_id text PRIMARY KEY,
    data_key bytea NOT NULL,        -- Sealed.pack() of the account's 32-byte key
    key_id text NOT NULL,           -- the configured key that wraps it
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX account_keys_key ON legal.account_keys (key_id);
