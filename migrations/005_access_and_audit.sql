-- Token versions: a token carries its user's version; changing the password or disabling the
-- user bumps it, so every token issued before stops working.
ALTER TABLE users ADD COLUMN token_version integer NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN updated_at timestamptz NOT NULL DEFAULT now();
ALTER TABLE intake_keys ADD COLUMN revoked_at timestamptz;

-- Every admin change: who, when, what, and the row before and after (NULL: none).
CREATE TABLE audit_log (
    id           bigserial PRIMARY KEY,
    actor        text NOT NULL,
    action       text NOT NULL,
    target_type  text NOT NULL,
    target       text NOT NULL,
    before       jsonb,
    after        jsonb,
    at           timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX audit_log_at ON audit_log (at DESC, id DESC);
CREATE INDEX audit_log_target ON audit_log (target_type, target);
