-- The lists' totals (repository/inquiries.py `_count_to_cap`) and the metrics count index
-- entries without reading the table: an index-only scan, which still reads the table for every
-- entry on a page the visibility map does not mark all-visible. Every write clears its page's
-- mark until VACUUM sets it again. PostgreSQL's default autovacuum waits until a fifth of a table
-- has changed (20,050 rows at 100,000 cases), and pruning on access lowers the count it waits
-- on: with 100,000 open cases and 70 updates a second the inquiries table was not vacuumed once
-- in five minutes, most of its pages lost their mark, and the overdue total fell back to a
-- sequential scan (p95 18 ms, against 4 ms with the settings below; docs/levers/vacuum.md).
-- These two tables are vacuumed once a hundredth of them has changed or been inserted instead.
ALTER TABLE inquiries SET (
    autovacuum_vacuum_scale_factor = 0.01, autovacuum_vacuum_insert_scale_factor = 0.01
);
ALTER TABLE tasks SET (
    autovacuum_vacuum_scale_factor = 0.01, autovacuum_vacuum_insert_scale_factor = 0.01
);
