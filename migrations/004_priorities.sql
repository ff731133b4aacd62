-- Targets per category and priority: an urgent inquiry of a category may have shorter
-- acknowledgement, reply and follow-up targets than a normal one. NULL keeps the category's own.
ALTER TABLE inquiries
    ADD COLUMN priority text NOT NULL DEFAULT 'normal' CHECK (priority IN ('normal', 'urgent'));

CREATE TABLE category_priorities (
    category            text NOT NULL REFERENCES categories (code),
    priority            text NOT NULL CHECK (priority IN ('normal', 'urgent')),
    ack_within          numeric CHECK (ack_within > 0),
    ack_repeat_minutes  numeric CHECK (ack_repeat_minutes >= 0),
    reply_within        numeric CHECK (reply_within > 0),
    followup_days       numeric CHECK (followup_days > 0),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (category, priority)
);
