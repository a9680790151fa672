-- Failures per job per day (the last 7 days of the log)
--
-- Answers: which provisioning job (application) is failing, on which day, and
-- for how many distinct identities. A sudden jump on one day usually means a
-- changed mapping, an expired credential or a throttled target system.
--
-- Run (it reads a provisioning_events table named events, as sql/setup.sql
-- creates it in a database file, or one you create first):
--   sqlite3 -cmd '.load ./provisioning' \
--     -cmd "CREATE VIRTUAL TABLE events USING provisioning_events(source='file:sql/sample/events.json')" \
--     -box :memory: < sql/reports/failures_per_job_per_day.sql
-- On live Graph: source='https://graph.microsoft.com/v1.0', auth='env:GRAPH_TOKEN'.
--
-- The window ends at the newest event in the log (so the report works on a
-- downloaded file as well as on live Graph, where that is about now). Change
-- '-7 days' to widen it. Pushdown: status = 'failure' and
-- activity_date_time > (...) both go to the source as $filter
-- (provisioningStatusInfo/status eq 'failure' and activityDateTime gt ...):
-- only failures of the window are fetched.
SELECT substr(activity_date_time, 1, 10)     AS day,   -- UTC
       service_principal_name                AS application,
       count(*)                              AS failures,
       count(DISTINCT source_identity_id)    AS identities,
       count(DISTINCT error_code)            AS error_codes
  FROM events
 WHERE status = 'failure'
   AND activity_date_time > (SELECT datetime(activity_date_time, '-7 days')
                               FROM events ORDER BY activity_date_time DESC LIMIT 1)
 GROUP BY day, job_id
 ORDER BY day, application, job_id
