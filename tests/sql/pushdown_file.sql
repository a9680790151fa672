-- Pushdown to the file source: EXPLAIN QUERY PLAN shows the query the
-- source evaluates, next to the rows it returns (like postgres_fdw's
-- "Remote SQL:"), and provisioning_scan_stats() shows how many rows
-- reached SQLite.
.load @EXT@
.headers off
.mode list
CREATE VIRTUAL TABLE ev USING provisioning_events(source='file:sql/sample/events.json');
EXPLAIN QUERY PLAN SELECT id FROM ev WHERE status = 'failure' AND activity_date_time > '2024-06-01' ORDER BY activity_date_time DESC LIMIT 5;
SELECT activity_date_time, status FROM ev WHERE status = 'failure' AND activity_date_time > '2024-06-01' ORDER BY activity_date_time DESC LIMIT 5;
SELECT json_extract(provisioning_scan_stats(), '$.scanned', '$.returned');
-- bound parameters show as ?N
EXPLAIN QUERY PLAN SELECT id FROM ev WHERE job_id = ?1 AND duration_ms >= ?2;
-- IN, GLOB, LIKE (re-checked by SQLite), IS NULL, !=
EXPLAIN QUERY PLAN SELECT id FROM ev WHERE action IN ('delete', 'disable') AND target_identity_name GLOB '*Brien*';
SELECT count(*) FROM ev WHERE action IN ('delete', 'disable') AND target_identity_name GLOB '*Brien*';
EXPLAIN QUERY PLAN SELECT id FROM ev WHERE error_code IS NULL AND status != 'success' AND job_id LIKE 'scim%';
SELECT count(*) FROM ev WHERE error_code IS NULL AND status != 'success' AND job_id LIKE 'scim%';
-- NOCASE comparisons stay with SQLite
EXPLAIN QUERY PLAN SELECT id FROM ev WHERE status = 'FAILURE' COLLATE NOCASE;
SELECT count(*) FROM ev WHERE status = 'FAILURE' COLLATE NOCASE;
SELECT json_extract(provisioning_scan_stats(), '$.returned');
-- provisioning_contains() is shipped as contains()
EXPLAIN QUERY PLAN SELECT id FROM ev WHERE provisioning_contains(job_id, 'AAD2AAD');
SELECT count(*) FROM ev WHERE provisioning_contains(job_id, 'AAD2AAD');
-- a unary + keeps a constraint away from the table
EXPLAIN QUERY PLAN SELECT id FROM ev WHERE +status = 'failure';
-- OR across columns: one scan per branch, duplicates removed by the stable rowid
SELECT count(*) FROM ev WHERE status = 'failure' OR duration_ms > 20000;
SELECT count(*) FROM ev WHERE +status = 'failure' OR +duration_ms > 20000;
-- LIMIT with OFFSET asks for limit + offset rows
EXPLAIN QUERY PLAN SELECT id FROM ev ORDER BY activity_date_time LIMIT 3 OFFSET 2;
SELECT activity_date_time FROM ev ORDER BY activity_date_time LIMIT 3 OFFSET 2;
-- the point lookup is preferred
EXPLAIN QUERY PLAN SELECT a.id FROM ev a JOIN ev b ON b.id = a.id WHERE a.status = 'failure';
-- the table-valued functions stay on the inner side of joins
EXPLAIN QUERY PLAN SELECT e.id, s.name FROM ev e, provisioning_steps(e.provisioning_steps) s WHERE e.status = 'failure';
