-- Staff email addresses and scheduled digests (issue 9): a user may have an email address (the
-- unit head's staff notices and the daily digest go there); a digest or summary is an outbox
-- notice about no one case, so a notice's inquiry is now optional.
ALTER TABLE users ADD COLUMN email text CHECK (email IS NULL OR email ~ '^[^@\s]+@[^@\s]+\.[^@\s]+$');
ALTER TABLE notifications ALTER COLUMN inquiry_id DROP NOT NULL;
CREATE INDEX users_unit_heads ON users (unit_code) WHERE role = 'unit_head' AND active;
