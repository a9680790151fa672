-- Attributes most often modified by successful updates (last 30 days)
--
-- Answers: which attributes keep changing in the target systems. Graph lists
-- every attribute the service evaluated, changed or not, so only the
-- properties whose new value differs from the old one are counted. An
-- attribute that changes on most updates (a manager, a department, a
-- title) is normal churn, one that flips back to the value it had before the
-- previous change usually means two systems fight over it (flip_backs counts
-- the changes whose new value is the old value of the previous change of the
-- same attribute for the same identity and job).
-- provisioning_modified_properties() unnests each event's modifiedProperties.
--
-- Run: see failures_per_job_per_day.sql (it reads the table events).
-- Pushdown: status = 'success', action = 'update' and the time window go to
-- the source as $filter, the unnesting is done inside SQLite.
WITH changes AS (
  SELECT e.job_id, e.source_identity_id, p.name, p.old_value, p.new_value,
         lag(p.old_value) OVER (PARTITION BY e.job_id, e.source_identity_id, p.name
                                ORDER BY e.activity_date_time) AS previous_old_value
    FROM events e, provisioning_modified_properties(e.modified_properties) p
   WHERE e.status = 'success'
     AND e.action = 'update'
     AND e.activity_date_time > (SELECT datetime(activity_date_time, '-30 days')
                                   FROM events ORDER BY activity_date_time DESC LIMIT 1)
     AND p.old_value IS NOT p.new_value
)
SELECT name                                   AS attribute,
       count(*)                               AS modifications,
       count(DISTINCT source_identity_id)     AS identities,
       count(DISTINCT job_id)                 AS jobs,
       sum(old_value IS NULL)                 AS set_first_time,  -- no previous value
       sum(coalesce(new_value, '') = '')      AS cleared,
       count(CASE WHEN new_value = previous_old_value THEN 1 END) AS flip_backs
  FROM changes
 GROUP BY name
 ORDER BY modifications DESC, attribute
 LIMIT 15
