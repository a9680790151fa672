-- Success / warning / skipped / failure share per provisioning cycle (last 3 days)
--
-- Answers: how healthy each run (cycle) of each job was. A cycle whose
-- failure share is far above the job's usual one is the first place to look
-- after a configuration change. Shares are percentages of the cycle's events.
-- A cycle that started before the window shows only its events inside it.
--
-- Run: see failures_per_job_per_day.sql (it reads the table events).
-- Pushdown: the time window goes to the source as $filter (every status is
-- needed, so status is not filtered). For one job, add
-- "AND job_id = '...'" (pushed as jobId eq '...').
SELECT service_principal_name                             AS application,
       cycle_id,
       min(activity_date_time)                            AS started,
       count(*)                                           AS events,
       round(100.0 * sum(status = 'success') / count(*), 1) AS success_pct,
       round(100.0 * sum(status = 'warning') / count(*), 1) AS warning_pct,
       round(100.0 * sum(status = 'skipped') / count(*), 1) AS skipped_pct,
       round(100.0 * sum(status = 'failure') / count(*), 1) AS failure_pct
  FROM events
 WHERE activity_date_time > (SELECT datetime(activity_date_time, '-3 days')
                               FROM events ORDER BY activity_date_time DESC LIMIT 1)
 GROUP BY job_id, cycle_id
 ORDER BY application, started, cycle_id
