-- Slowest changes: median and 95th percentile duration per job (last 30 days)
--
-- Answers: how long a change takes per application, typically (p50) and at
-- the slow end (p95), and which change was the slowest. A p95 far above the
-- p50 points at a throttled or slow target system.
--
-- SQLite has no percentile function: the percentiles are computed with window
-- functions, by the nearest-rank method: with the n durations of a job sorted
-- ascending, p50 is the one at rank ceil(0.50 * n) and p95 the one at rank
-- ceil(0.95 * n).
--
-- Run: see failures_per_job_per_day.sql (it reads the table events).
-- Pushdown: the time window goes to the source as $filter (add
-- "AND status = 'success'" to time successful changes only: it pushes too).
WITH changes AS (
  SELECT job_id, service_principal_name, duration_ms, action,
         source_identity_name, activity_date_time
    FROM events
   WHERE activity_date_time > (SELECT datetime(activity_date_time, '-30 days')
                                 FROM events ORDER BY activity_date_time DESC LIMIT 1)
     AND duration_ms IS NOT NULL
),
ranked AS (
  SELECT *,
         row_number() OVER (PARTITION BY job_id ORDER BY duration_ms, activity_date_time) AS rnk,
         count(*)     OVER (PARTITION BY job_id)                                          AS n
    FROM changes
),
slowest AS (
  SELECT job_id, max(duration_ms) AS max_ms,
         action || ' ' || source_identity_name || ' at ' || activity_date_time AS slowest_change
    FROM changes GROUP BY job_id
)
SELECT r.service_principal_name                                           AS application,
       r.n                                                                AS changes,
       max(CASE WHEN r.rnk = CAST((r.n * 50 + 99) / 100 AS INTEGER) THEN r.duration_ms END) AS p50_ms,
       max(CASE WHEN r.rnk = CAST((r.n * 95 + 99) / 100 AS INTEGER) THEN r.duration_ms END) AS p95_ms,
       s.max_ms,
       sum(r.duration_ms > 10000)                                         AS over_10s,
       s.slowest_change
  FROM ranked r JOIN slowest s USING (job_id)
 GROUP BY r.job_id
 ORDER BY p95_ms DESC, application
