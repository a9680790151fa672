-- The provisioning_time collation (declared on activity_date_time) is honoured
-- by SQLite 3.40 on every path: pushed and +col comparisons, BETWEEN, IN,
-- ORDER BY, GROUP BY, DISTINCT, min/max, views, and a real table (the sync
-- mirror) declaring it; COLLATE BINARY opts out (text rules, nothing shipped).
-- tests/data/times_mixed.json: mixed zones and precisions, and one time that
-- does not parse ('0000-00-00T00:00:00Z', kept as text: it sorts after every time).
.load @EXT@
CREATE VIRTUAL TABLE ev USING provisioning_events(source='file:tests/data/times_mixed.json');
CREATE VIRTUAL TABLE ev0 USING provisioning_events(source='file:tests/data/times_mixed.json', pushdown=0);
.headers on
.mode list
SELECT id, activity_date_time FROM ev ORDER BY activity_date_time, id;
SELECT id FROM ev ORDER BY +activity_date_time DESC, id;
SELECT min(activity_date_time) AS lo, max(activity_date_time) AS hi FROM ev;
SELECT count(*) AS eq_z FROM ev WHERE activity_date_time = '2024-06-01T10:00:00Z';
SELECT count(*) AS eq_z_plus FROM ev WHERE +activity_date_time = '2024-06-01T12:00:00+02:00';
SELECT count(*) AS eq_pyodbc FROM ev0 WHERE activity_date_time = '2024-06-01 10:00:00.000';
SELECT count(*) AS gt_iso FROM ev WHERE activity_date_time > '2024-06-01T10:00:00Z';
SELECT count(*) AS le_iso FROM ev WHERE activity_date_time <= '2024-06-01T10:00:00Z';
SELECT count(*) AS between_iso FROM ev WHERE activity_date_time BETWEEN '2024-06-01T00:00:00Z' AND '2024-06-01T23:59:59Z';
SELECT count(*) AS between_plus FROM ev WHERE +activity_date_time BETWEEN '2024-06-01' AND '2024-06-01T10:00:00.5Z';
SELECT count(*) AS in_forms FROM ev WHERE activity_date_time IN ('2024-06-01T11:00:00+01:00', '2024-06-02 00:30:00');
SELECT count(*) AS ne_iso FROM ev WHERE activity_date_time != '2024-06-01T10:00:00Z';
SELECT count(*) AS gt_datetime_fn FROM ev WHERE activity_date_time > datetime('2024-06-01T10:00:00Z');
-- as text (BINARY): ' ' sorts before 'T', so only the next day's t5 is above
SELECT count(*) AS gt_binary FROM ev WHERE activity_date_time > '2024-06-01T10:00:00Z' COLLATE BINARY;
SELECT activity_date_time AS t, count(*) AS n FROM ev GROUP BY 1 ORDER BY 1;
-- a view over the table keeps the column's collation
CREATE VIEW v AS SELECT id, activity_date_time AS t FROM ev;
SELECT count(*) AS view_gt FROM v WHERE t > '2024-06-01T09:00:00-01:00';
SELECT group_concat(id) AS view_order FROM (SELECT id FROM v ORDER BY t DESC, id);
-- DISTINCT merges the same instant written two ways
SELECT count(DISTINCT t) AS distinct_union FROM (SELECT activity_date_time AS t FROM ev UNION ALL SELECT '2024-06-01T10:00:00Z' UNION ALL SELECT '2024-06-01 12:00:00+02:00');
-- the sync mirror's declaration: text in any form groups by instant
CREATE TABLE m(t TIMESTAMP COLLATE provisioning_time);
INSERT INTO m VALUES ('2024-06-01T10:00:00Z'), ('2024-06-01 10:00:00.0000000'), ('2024-06-01 12:00:00+02:00'), ('2024-06-01'), ('2024-06-01T00:00:00.000Z'), ('x');
CREATE INDEX m_t ON m(t);
SELECT t, count(*) AS n FROM m GROUP BY t ORDER BY t;
SELECT count(DISTINCT t) AS n_distinct, min(t) AS lo, max(t) AS hi FROM m;
SELECT count(*) AS idx_range FROM m WHERE t BETWEEN '2024-06-01T09:00:00Z' AND '2024-06-01T11:00:00+01:00';
.eqp on
SELECT count(*) FROM ev WHERE activity_date_time >= '2024-06-01T12:00:00+02:00';
SELECT count(*) FROM ev WHERE activity_date_time > '2024-06-01T10:00:00Z' COLLATE BINARY;
.eqp off
CREATE VIRTUAL TABLE gr USING provisioning_events(source='http://127.0.0.1:9/v1.0', select=0);
EXPLAIN QUERY PLAN SELECT id FROM gr WHERE activity_date_time > '2024-06-01T12:00:00+02:00' AND activity_date_time <= '2024-06-01T23:59:59.123456789-01:00';
EXPLAIN QUERY PLAN SELECT id FROM gr WHERE activity_date_time = '2024-06-01 00:00:00.000';
EXPLAIN QUERY PLAN SELECT id FROM gr WHERE activity_date_time BETWEEN '2024-06-01' AND '2024-06-01T23:59:59.999Z';
EXPLAIN QUERY PLAN SELECT id FROM gr WHERE activity_date_time > 'not a time';
