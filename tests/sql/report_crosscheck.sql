-- Hand check of numbers in the report goldens (tests/sql/report_*.expected),
-- computed without the extension's table: SQLite's own JSON functions over
-- the sample file. Each line names the report and the value it must show.
.load @EXT@
CREATE TEMP TABLE raw AS
SELECT json_extract(value, '$.id') AS id,
       datetime(json_extract(value, '$.activityDateTime')) AS t,   -- UTC, to the second
       json_extract(value, '$.jobId') AS job,
       json_extract(value, '$.servicePrincipal.displayName') AS app,
       json_extract(value, '$.provisioningStatusInfo.status') AS status,
       json_extract(value, '$.provisioningStatusInfo.errorInformation.errorCode') AS code,
       json_extract(value, '$.durationInMilliseconds') AS ms,
       json_extract(value, '$.sourceIdentity.displayName') AS who,
       json_extract(value, '$.sourceIdentity.id') AS who_id,
       json_extract(value, '$.provisioningSteps') AS steps
  FROM json_each(readfile('sql/sample/events.json'), '$.value');
.mode list
SELECT 'sample: events', count(*), 'failures', sum(status = 'failure'),
       'failure %', round(100.0 * sum(status = 'failure') / count(*), 1) FROM raw;
-- failures_per_job_per_day: Workday to AAD on 2024-06-30 (window: after 2024-06-23 23:59:59)
SELECT 'failures_per_job_per_day 2024-06-30 Workday to AAD', count(*), count(DISTINCT who_id)
  FROM raw WHERE status = 'failure' AND app = 'Workday to AAD' AND t >= '2024-06-30';
-- top_error_codes: EntryAlreadyExists
SELECT 'top_error_codes EntryAlreadyExists', count(*) FROM raw WHERE status = 'failure' AND code = 'EntryAlreadyExists';
-- never_provisioned: names whose every event failed
SELECT 'never_provisioned', count(*), group_concat(who, ', ')
  FROM (SELECT who FROM raw GROUP BY who HAVING sum(status <> 'failure') = 0 ORDER BY count(*) DESC, who);
-- slowest_changes: p50 / p95 (nearest rank) of Salesforce
WITH d AS (SELECT ms FROM raw WHERE app = 'Salesforce'), n AS (SELECT count(*) AS n FROM d)
SELECT 'slowest_changes Salesforce', (SELECT n FROM n),
       (SELECT ms FROM d ORDER BY ms LIMIT 1 OFFSET (SELECT (n * 50 + 99) / 100 - 1 FROM n)),
       (SELECT ms FROM d ORDER BY ms LIMIT 1 OFFSET (SELECT (n * 95 + 99) / 100 - 1 FROM n)),
       (SELECT max(ms) FROM d);
-- step_funnel: steps of type export, and failed ones
SELECT 'step_funnel export', count(*), sum(json_extract(s.value, '$.status') = 'failure')
  FROM raw, json_each(raw.steps) s WHERE json_extract(s.value, '$.provisioningStepType') = 'export';
