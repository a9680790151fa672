-- Identities that never provisioned (last 30 days)
--
-- Answers: which users and groups were attempted but never made it into any
-- target system: every one of their events in the window is a failure (no
-- success, warning or skip anywhere). These people typically have no account
-- in the applications they were assigned to. The source identity id differs
-- per job (a Workday worker id, an Entra object id...), so an identity is
-- matched across jobs by its display name and type.
--
-- Run: see failures_per_job_per_day.sql (it reads the table events).
-- Pushdown: the time window goes to the source as $filter. The test "every
-- event failed" needs the identity's other events too, so status cannot be
-- pushed. To check one person, add "AND source_identity_name = 'Jane Doe'"
-- (pushed as sourceIdentity/displayName eq 'Jane Doe').
SELECT source_identity_name                        AS identity,
       source_identity_type                        AS identity_type,
       count(*)                                    AS attempts,
       count(DISTINCT job_id)                      AS jobs,
       group_concat(DISTINCT action)               AS actions,
       min(activity_date_time)                     AS first_attempt,
       max(activity_date_time)                     AS last_attempt,
       error_code                                  AS last_error_code
  FROM events
 WHERE activity_date_time > (SELECT datetime(activity_date_time, '-30 days')
                               FROM events ORDER BY activity_date_time DESC LIMIT 1)
 GROUP BY source_identity_name, source_identity_type
HAVING sum(status <> 'failure') = 0
   AND sum(target_identity_id <> '') = 0
 ORDER BY attempts DESC, identity
