-- Top error codes, with the reason and the recommended action (last 30 days)
--
-- Answers: what goes wrong most often, how many identities and applications it
-- hits, and what Microsoft recommends doing about it. reason and
-- recommended_action are those of the most recent failure with that code
-- (SQLite takes bare columns from the row that holds max()).
--
-- Run: see failures_per_job_per_day.sql (it reads the table events).
-- Pushdown: status = 'failure' and the time window go to the source as
-- $filter, the grouping is done by SQLite.
SELECT error_code,
       error_category,
       count(*)                                  AS failures,
       count(DISTINCT source_identity_id)        AS identities,
       count(DISTINCT job_id)                    AS jobs,
       max(activity_date_time)                   AS last_seen,
       replace(error_reason, char(10), ' ')      AS reason,
       recommended_action
  FROM events
 WHERE status = 'failure'
   AND activity_date_time > (SELECT datetime(activity_date_time, '-30 days')
                               FROM events ORDER BY activity_date_time DESC LIMIT 1)
 GROUP BY error_code, error_category
 ORDER BY failures DESC, error_code
 LIMIT 10
