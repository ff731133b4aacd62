-- Directory: units, categories with their SLA policies, routing rules, staff and intake keys.
CREATE TABLE units (
    code        text PRIMARY KEY,
    name        text NOT NULL,
    name_zh     text NOT NULL DEFAULT '',
    duty_24h    boolean NOT NULL DEFAULT false,
    active      boolean NOT NULL DEFAULT true,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE categories (
    code            text PRIMARY KEY,
    name            text NOT NULL,
    name_zh         text NOT NULL DEFAULT '',
    clock           text NOT NULL CHECK (clock IN ('natural_hours', 'working_days')),
    reply_within    numeric NOT NULL CHECK (reply_within > 0),
    level2_grace    numeric NOT NULL CHECK (level2_grace >= 0),
    reminder_ratio  numeric NOT NULL DEFAULT 0.75 CHECK (reminder_ratio > 0 AND reminder_ratio < 1),
    urgent          boolean NOT NULL DEFAULT false,
    active          boolean NOT NULL DEFAULT true,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE routing_rules (
    id          bigserial PRIMARY KEY,
    name        text NOT NULL UNIQUE,
    priority    integer NOT NULL,
    category    text REFERENCES categories (code),
    district    text,
    keywords    text[] NOT NULL DEFAULT '{}',
    unit_code   text NOT NULL REFERENCES units (code),
    active      boolean NOT NULL DEFAULT true,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX routing_rules_priority ON routing_rules (priority, id) WHERE active;

CREATE TABLE users (
    username        text PRIMARY KEY,
    password_hash   text NOT NULL,
    role            text NOT NULL CHECK (role IN ('operator', 'handler', 'unit_head', 'supervisor', 'admin')),
    unit_code       text REFERENCES units (code),
    active          boolean NOT NULL DEFAULT true,
    created_at      timestamptz NOT NULL DEFAULT now(),
    CHECK (role NOT IN ('handler', 'unit_head') OR unit_code IS NOT NULL)
);

CREATE TABLE intake_keys (
    id          bigserial PRIMARY KEY,
    name        text NOT NULL UNIQUE,
    channel     text NOT NULL,
    key_prefix  text NOT NULL,
    key_hash    text NOT NULL UNIQUE,
    active      boolean NOT NULL DEFAULT true,
    created_at  timestamptz NOT NULL DEFAULT now()
);

-- Idempotent intake: one row per (client, Idempotency-Key), remembering the body it was used with.
CREATE TABLE intake_requests (
    principal        text NOT NULL,
    idempotency_key  text NOT NULL,
    body_hash        text NOT NULL,
    inquiry_id       uuid NOT NULL UNIQUE,
    tracking_code    text NOT NULL UNIQUE,
    created_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (principal, idempotency_key)
);

-- The read model of each inquiry, written only by workflow activities.
CREATE TABLE inquiries (
    id                  uuid PRIMARY KEY,
    tracking_code       text NOT NULL UNIQUE,
    workflow_id         text NOT NULL UNIQUE,
    channel             text NOT NULL,
    category            text NOT NULL REFERENCES categories (code),
    content             text NOT NULL,
    citizen_name        text,
    citizen_phone       text,
    citizen_email       text,
    address             text,
    district            text,
    external_ref        text,
    submitted_by        text NOT NULL,
    status              text NOT NULL,
    unit_code           text REFERENCES units (code),
    routing_rule        text,
    received_at         timestamptz NOT NULL,
    dispatched_at       timestamptz,
    remind_at           timestamptz,
    reply_due_at        timestamptz,
    level2_at           timestamptz,
    due_provisional     boolean NOT NULL DEFAULT false,
    escalation_level    integer NOT NULL DEFAULT 0,
    overdue             boolean NOT NULL DEFAULT false,
    replied_at          timestamptz,
    reply_content       text,
    replied_by          text,
    closed_at           timestamptz,
    on_time             boolean,
    handling_seconds    bigint,
    total_seconds       bigint,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX inquiries_status ON inquiries (status);
CREATE INDEX inquiries_unit_status ON inquiries (unit_code, status);
CREATE INDEX inquiries_due_open ON inquiries (reply_due_at) WHERE closed_at IS NULL;
CREATE INDEX inquiries_received ON inquiries (received_at);

-- Append-only timeline; (inquiry_id, event_key) makes every activity retry a no-op.
CREATE TABLE inquiry_events (
    id          bigserial PRIMARY KEY,
    inquiry_id  uuid NOT NULL REFERENCES inquiries (id),
    event_key   text NOT NULL,
    kind        text NOT NULL,
    actor       text NOT NULL,
    occurred_at timestamptz NOT NULL,
    detail      jsonb NOT NULL DEFAULT '{}',
    UNIQUE (inquiry_id, event_key)
);

CREATE TABLE tasks (
    id            bigserial PRIMARY KEY,
    inquiry_id    uuid NOT NULL REFERENCES inquiries (id),
    unit_code     text NOT NULL REFERENCES units (code),
    kind          text NOT NULL DEFAULT 'reply',
    status        text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'done', 'cancelled')),
    due_at        timestamptz,
    created_at    timestamptz NOT NULL,
    completed_at  timestamptz,
    UNIQUE (inquiry_id, unit_code, kind)
);
CREATE INDEX tasks_unit_open ON tasks (unit_code) WHERE status = 'open';

CREATE TABLE escalations (
    inquiry_id  uuid NOT NULL REFERENCES inquiries (id),
    step        text NOT NULL CHECK (step IN ('reminder', 'level1', 'level2')),
    level       integer NOT NULL,
    fired_at    timestamptz NOT NULL,
    due_at      timestamptz NOT NULL,
    PRIMARY KEY (inquiry_id, step)
);

-- Notification outbox: what was sent, to whom (masked), through which channel and when.
CREATE TABLE notifications (
    id                bigserial PRIMARY KEY,
    inquiry_id        uuid NOT NULL REFERENCES inquiries (id),
    dedupe_key        text NOT NULL UNIQUE,
    kind              text NOT NULL,
    audience          text NOT NULL CHECK (audience IN ('citizen', 'unit', 'supervisors')),
    channel           text NOT NULL,
    recipient         text NOT NULL,
    recipient_masked  text NOT NULL,
    body              text NOT NULL,
    status            text NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'sent', 'failed')),
    created_at        timestamptz NOT NULL,
    sent_at           timestamptz,
    attempts          integer NOT NULL DEFAULT 0
);
CREATE INDEX notifications_queued ON notifications (created_at) WHERE status = 'queued';
