-- The full closed loop (issue 3): per-category policy for every target and path, the SLA clock
-- ledgers, and the records of returns, extensions, pauses, reviews, ratings, merges, co-handling.
ALTER TABLE categories
    ADD COLUMN ack_unit text NOT NULL DEFAULT 'natural_hours'
        CHECK (ack_unit IN ('natural_hours', 'working_hours', 'working_days')),
    ADD COLUMN ack_within numeric NOT NULL DEFAULT 8 CHECK (ack_within > 0),
    ADD COLUMN ack_grace numeric NOT NULL DEFAULT 4 CHECK (ack_grace >= 0),
    ADD COLUMN ack_repeat_minutes numeric NOT NULL DEFAULT 0 CHECK (ack_repeat_minutes >= 0),
    ADD COLUMN warnings numeric[] NOT NULL DEFAULT '{0.5,0.75}',
    ADD COLUMN supervision_after numeric NOT NULL DEFAULT 1 CHECK (supervision_after >= 0),
    ADD COLUMN notice_after numeric NOT NULL DEFAULT 1 CHECK (notice_after >= 0),
    ADD COLUMN hold_notices boolean NOT NULL DEFAULT false,
    ADD COLUMN review text NOT NULL DEFAULT 'none' CHECK (review IN ('none', 'unit_head', 'office')),
    ADD COLUMN return_window_days numeric NOT NULL DEFAULT 1 CHECK (return_window_days >= 0),
    ADD COLUMN max_returns integer NOT NULL DEFAULT 2 CHECK (max_returns >= 1),
    ADD COLUMN max_extensions integer NOT NULL DEFAULT 1 CHECK (max_extensions >= 0),
    ADD COLUMN max_extension numeric NOT NULL DEFAULT 0 CHECK (max_extension >= 0),
    ADD COLUMN extension_notice_days numeric NOT NULL DEFAULT 1 CHECK (extension_notice_days >= 0),
    ADD COLUMN pause_limit_days numeric NOT NULL DEFAULT 15 CHECK (pause_limit_days > 0),
    ADD COLUMN restart_on_supplement boolean NOT NULL DEFAULT false,
    ADD COLUMN followup_days numeric NOT NULL DEFAULT 3 CHECK (followup_days > 0),
    ADD COLUMN office_start time NOT NULL DEFAULT '08:30',
    ADD COLUMN office_end time NOT NULL DEFAULT '17:30',
    ADD CONSTRAINT office_hours_order CHECK (office_start < office_end);

ALTER TABLE inquiries
    ADD COLUMN answered_on_site boolean NOT NULL DEFAULT false,
    ADD COLUMN acknowledged_at timestamptz,
    ADD COLUMN ack_due_at timestamptz,
    ADD COLUMN followup_due_at timestamptz,
    ADD COLUMN paused boolean NOT NULL DEFAULT false,
    ADD COLUMN returns integer NOT NULL DEFAULT 0,
    ADD COLUMN extensions integer NOT NULL DEFAULT 0,
    ADD COLUMN reopened integer NOT NULL DEFAULT 0,
    ADD COLUMN rating text CHECK (rating IN ('satisfied', 'basically_satisfied', 'unsatisfied', 'not_rated')),
    ADD COLUMN close_reason text,
    ADD COLUMN merged_into uuid REFERENCES inquiries (id);

-- A workflow may re-open the same kind of task for a unit (re-dispatch, reopening): tasks are
-- keyed by the workflow's own transition number instead of (inquiry, unit, kind).
ALTER TABLE tasks DROP CONSTRAINT tasks_inquiry_id_unit_code_kind_key;
ALTER TABLE tasks ADD COLUMN task_key text;
UPDATE tasks SET task_key = unit_code || ':' || kind WHERE task_key IS NULL;
ALTER TABLE tasks ALTER COLUMN task_key SET NOT NULL;
ALTER TABLE tasks ADD CONSTRAINT tasks_inquiry_key UNIQUE (inquiry_id, task_key);
ALTER TABLE tasks DROP CONSTRAINT tasks_status_check;
ALTER TABLE tasks ADD CONSTRAINT tasks_status_check CHECK (status IN ('open', 'done', 'cancelled'));

-- The clock ledgers as last projected: budget, start, segments, due time; the SLA endpoint reads them.
CREATE TABLE sla_clocks (
    inquiry_id   uuid NOT NULL REFERENCES inquiries (id),
    target       text NOT NULL CHECK (target IN ('acknowledge', 'reply', 'follow_up')),
    cycle        integer NOT NULL DEFAULT 1,
    ledger       jsonb NOT NULL,
    due_at       timestamptz,
    provisional  boolean NOT NULL DEFAULT false,
    active       boolean NOT NULL DEFAULT true,
    projected_at timestamptz NOT NULL,
    PRIMARY KEY (inquiry_id, target, cycle)
);

ALTER TABLE escalations DROP CONSTRAINT escalations_step_check;
ALTER TABLE escalations DROP CONSTRAINT escalations_pkey;
ALTER TABLE escalations ADD COLUMN target text NOT NULL DEFAULT 'reply';
ALTER TABLE escalations ADD COLUMN step_key text;
UPDATE escalations SET step_key = step WHERE step_key IS NULL;
ALTER TABLE escalations ALTER COLUMN step_key SET NOT NULL;
ALTER TABLE escalations ADD PRIMARY KEY (inquiry_id, step_key);

ALTER TABLE notifications DROP CONSTRAINT notifications_audience_check;
ALTER TABLE notifications ADD CONSTRAINT notifications_audience_check
    CHECK (audience IN ('citizen', 'unit', 'unit_head', 'office', 'supervisors'));
ALTER TABLE notifications ADD COLUMN not_before timestamptz;

CREATE TABLE cohandling (
    inquiry_id   uuid NOT NULL REFERENCES inquiries (id),
    unit_code    text NOT NULL REFERENCES units (code),
    status       text NOT NULL CHECK (status IN ('open', 'answered', 'escalated')),
    due_at       timestamptz NOT NULL,
    content      text,
    answered_by  text,
    answered_at  timestamptz,
    PRIMARY KEY (inquiry_id, unit_code)
);
