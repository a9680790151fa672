-- Changes per action and target system (last 30 days)
--
-- Answers: what the provisioning service did to each target system (create,
-- update, disable, stagedDelete, delete, other) and how each kind of change
-- turned out. A target with many failed creates but healthy updates usually
-- has a matching or uniqueness problem, failed deletes a permission problem.
--
-- Run: see failures_per_job_per_day.sql (it reads the table events).
-- Pushdown: the time window goes to the source as $filter. To look at one
-- target only, add e.g. "AND target_system_name = 'Salesforce'" (pushed as
-- targetSystem/displayName eq 'Salesforce').
SELECT target_system_name             AS target_system,
       action,
       count(*)                       AS changes,
       sum(status = 'success')        AS success,
       sum(status = 'warning')        AS warning,
       sum(status = 'skipped')        AS skipped,
       sum(status = 'failure')        AS failure,
       round(100.0 * sum(status = 'failure') / count(*), 1) AS failure_pct
  FROM events
 WHERE activity_date_time > (SELECT datetime(activity_date_time, '-30 days')
                               FROM events ORDER BY activity_date_time DESC LIMIT 1)
 GROUP BY target_system_name, action
 ORDER BY target_system, changes DESC, action
