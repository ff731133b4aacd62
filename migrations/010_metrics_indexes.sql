-- Metrics read at scrape time (issue 9, repository/metrics.py): each count grouped by its labels
-- reads one of these indexes alone (an index-only scan) instead of the whole table.
CREATE INDEX inquiries_channel ON inquiries (channel);
CREATE INDEX notifications_channel_status ON notifications (channel, status);
CREATE INDEX escalations_level ON escalations (level);
