-- Identities failing again and again (last 30 days)
--
-- Answers: which users and groups fail in cycle after cycle for the same
-- application: those need a person to fix them (a duplicate in the target, a
-- missing permission, a bad attribute value), and the provisioning service will
-- not. Listed when an identity failed in at least 3 different cycles of a job.
--
-- Run: see failures_per_job_per_day.sql (it reads the table events).
-- Pushdown: status = 'failure' and the time window go to the source as
-- $filter. last_error_code is the code of the most recent failure (bare
-- column next to max()).
SELECT source_identity_name                 AS identity,
       source_identity_type                 AS identity_type,
       service_principal_name               AS application,
       count(*)                             AS failures,
       count(DISTINCT cycle_id)             AS cycles,
       min(activity_date_time)              AS first_failure,
       max(activity_date_time)              AS last_failure,
       error_code                           AS last_error_code
  FROM events
 WHERE status = 'failure'
   AND activity_date_time > (SELECT datetime(activity_date_time, '-30 days')
                               FROM events ORDER BY activity_date_time DESC LIMIT 1)
 GROUP BY job_id, source_identity_id
HAVING count(DISTINCT cycle_id) >= 3
 ORDER BY failures DESC, identity, application
 LIMIT 25
