-- Paged reads of the open cases that stay fast at 100,000 of them (issue 10). Each index has the
-- WHERE and ORDER BY of one read in repository/inquiries.py; the partial predicates repeat the
-- literal status list those reads write out (domain.case.OPEN_STATUSES), which is what lets the
-- planner prove them.

-- The supervisors' overdue list, of every unit and of one: most overdue first.
CREATE INDEX inquiries_overdue ON inquiries (reply_due_at, id)
    WHERE status IN ('dispatched', 'handling', 'in_review', 'returned') AND NOT paused;
CREATE INDEX inquiries_overdue_unit ON inquiries (unit_code, reply_due_at, id)
    WHERE status IN ('dispatched', 'handling', 'in_review', 'returned') AND NOT paused;

-- A unit's open tasks (and the office's view of every unit's), soonest due first, nulls last.
CREATE INDEX tasks_open_unit_due ON tasks (unit_code, due_at, id) WHERE status = 'open';
CREATE INDEX tasks_open_due ON tasks (due_at, id) WHERE status = 'open';
DROP INDEX tasks_unit_open;

-- The staff list: newest first, of every unit or of one.
CREATE INDEX inquiries_newest ON inquiries (received_at DESC, id);
CREATE INDEX inquiries_unit_newest ON inquiries (unit_code, received_at DESC, id);
