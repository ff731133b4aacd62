-- Notifications that arrive (issue 9): the outbox keeps each notice's delivery state, attempts,
-- provider id and last error; the dispatcher claims due rows for a short lease; webhooks that
-- admins register receive the case events as signed deliveries through the same outbox.
CREATE TABLE webhooks (
    id           bigserial PRIMARY KEY,
    url          text NOT NULL CHECK (url ~ '^https?://'),
    secret       text NOT NULL CHECK (length(secret) >= 16),
    events       text[] NOT NULL,
    description  text NOT NULL DEFAULT '',
    active       boolean NOT NULL DEFAULT true,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now()
);

ALTER TABLE notifications DROP CONSTRAINT notifications_status_check;
ALTER TABLE notifications ADD CONSTRAINT notifications_status_check
    CHECK (status IN ('queued', 'sent', 'failed', 'gave_up'));
ALTER TABLE notifications DROP CONSTRAINT notifications_audience_check;
ALTER TABLE notifications ADD CONSTRAINT notifications_audience_check
    CHECK (audience IN ('citizen', 'unit', 'unit_head', 'office', 'supervisors', 'integration'));
ALTER TABLE notifications
    ADD COLUMN subject text NOT NULL DEFAULT '',
    ADD COLUMN urgent boolean NOT NULL DEFAULT false,
    ADD COLUMN webhook_id bigint REFERENCES webhooks (id) ON DELETE CASCADE,
    -- Wall-clock times of the dispatcher (created_at is the workflow's time of the transition).
    ADD COLUMN queued_at timestamptz NOT NULL DEFAULT now(),
    ADD COLUMN next_attempt_at timestamptz NOT NULL DEFAULT now(),
    ADD COLUMN claimed_until timestamptz,
    ADD COLUMN last_attempt_at timestamptz,
    ADD COLUMN provider_id text,
    ADD COLUMN last_error text,
    ADD COLUMN gave_up_at timestamptz;

DROP INDEX notifications_queued;
CREATE INDEX notifications_due ON notifications (next_attempt_at) WHERE status IN ('queued', 'failed');
CREATE INDEX notifications_webhook ON notifications (webhook_id, id) WHERE webhook_id IS NOT NULL;
