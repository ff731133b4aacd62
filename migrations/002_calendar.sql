-- Working time: operator-managed calendar overrides on top of chinesecalendar, and the record
-- of every change. An override wins over the package: working=false is a holiday (节假日),
-- working=true a make-up working day (调休上班), for any year, including years the package
-- does not know yet.
CREATE TABLE calendar_days (
    day         date PRIMARY KEY,
    working     boolean NOT NULL,
    note        text NOT NULL DEFAULT '',
    updated_by  text NOT NULL,
    updated_at  timestamptz NOT NULL DEFAULT now()
);

-- One row per change (API or CLI): which days, who, why, and how many open cases were told.
CREATE TABLE calendar_changes (
    id              bigserial PRIMARY KEY,
    changed_at      timestamptz NOT NULL DEFAULT now(),
    changed_by      text NOT NULL,
    days            jsonb NOT NULL,
    reason          text NOT NULL DEFAULT '',
    cases_notified  integer NOT NULL DEFAULT 0
);

-- Case workflows from version 2 on take the calendar_changed signal and re-project their due
-- times; version 1 cases keep the deadlines they computed at dispatch.
ALTER TABLE inquiries ADD COLUMN workflow_version integer NOT NULL DEFAULT 1;
CREATE INDEX inquiries_open_version ON inquiries (workflow_version) WHERE closed_at IS NULL;
