-- Input shapes: one object per line, a bare array, beta property names,
-- escapes, values of unexpected types, time normalisation.
.load @EXT@
.headers on
.mode line
CREATE VIRTUAL TABLE nd USING provisioning_events(source='file:tests/data/beta_and_v1.ndjson');
SELECT id, activity_date_time, action, status, duration_ms, typeof(duration_ms) AS duration_type,
       initiator_type, initiated_by_name, service_principal_name, tenant_id, typeof(tenant_id) AS tenant_type,
       cycle_id, job_id, hex(job_id) AS job_hex
  FROM nd;
CREATE VIRTUAL TABLE arr USING provisioning_events(source='file:tests/data/bare_array.json');
SELECT count(*) AS n, max(job_id) = (SELECT job_id FROM nd WHERE id = 'v1-1') AS same_text FROM arr;
-- times compare with the forms reports use
.mode list
SELECT id, activity_date_time > '2024-06-01', activity_date_time > datetime('2024-06-01 08:00:00'),
       activity_date_time < '2024-06-01 08:00:00.600', activity_date_time >= datetime('now', '-7 days')
  FROM nd ORDER BY id;
-- several pages one after another
CREATE VIRTUAL TABLE two USING provisioning_events(source='file:tests/data/two_pages.json');
SELECT count(*), group_concat(status) FROM two;
