-- Step funnel: which step of the provisioning pipeline fails most (last 30 days)
--
-- Answers: how many changes reached each step type (import, scoping,
-- matching, processing, referenceResolution, export), and how many of them
-- ended there with a failure, a warning or a skip. A change that fails stops
-- at its failing step, so the failure rate per step type says where changes
-- get lost. provisioning_steps() unnests each event's provisioningSteps array.
--
-- Run: see failures_per_job_per_day.sql (it reads the table events).
-- Pushdown: the time window goes to the source as $filter (the funnel needs
-- every change, not only failures, so status cannot be pushed here), the
-- step table is joined inside SQLite.
SELECT s.step_type,
       count(*)                                        AS reached,
       sum(s.status = 'success')                       AS succeeded,
       sum(s.status = 'warning')                       AS warnings,
       sum(s.status = 'skipped')                       AS skipped,
       sum(s.status = 'failure')                       AS failed,
       round(100.0 * sum(s.status = 'failure') / count(*), 2) AS failure_pct
  FROM events e, provisioning_steps(e.provisioning_steps) s
 WHERE e.activity_date_time > (SELECT datetime(activity_date_time, '-30 days')
                                 FROM events ORDER BY activity_date_time DESC LIMIT 1)
 GROUP BY s.step_type
 ORDER BY CASE s.step_type WHEN 'import' THEN 1 WHEN 'scoping' THEN 2 WHEN 'matching' THEN 3
                           WHEN 'processing' THEN 4 WHEN 'referenceResolution' THEN 5
                           WHEN 'export' THEN 6 ELSE 7 END, s.step_type
