-- Writes through the file source: queued in the transaction, written at
-- COMMIT by rewriting the file atomically; ROLLBACK writes nothing.
.load @EXT@
.bail off
.shell cp tests/data/seed003_page_failure.json @BUILD@/writes.json
CREATE VIRTUAL TABLE ev USING provisioning_events(source='file:@BUILD@/writes.json', writable=1);
CREATE VIRTUAL TABLE ro USING provisioning_events(source='file:@BUILD@/writes.json');
INSERT INTO ev(activity_date_time, job_id, action, duration_ms, status, error_code, target_identity_name,
               provisioning_steps)
VALUES ('2024-06-01T12:00:00+02:00', 'job-1', 'create', 12, 'failure', 'E1', 'O''Brien',
        '[{"name":"EntryExportAdd","provisioningStepType":"export","status":"failure"}]');
SELECT length(provisioning_last_insert_id()), json_array_length(provisioning_inserted_ids());
SELECT id = provisioning_last_insert_id() AS new, activity_date_time, job_id, action, duration_ms, status,
       error_code, target_identity_name, provisioning_steps
  FROM ev ORDER BY activity_date_time;
-- UPDATE sends only what changed, nested in Graph's shape
UPDATE ev SET status = 'success', duration_ms = 30 WHERE job_id = 'job-1';
SELECT status, duration_ms, error_code, raw->>'$.provisioningStatusInfo.errorInformation.errorCode' AS kept
  FROM ev WHERE job_id = 'job-1';
-- the beta names are written when the table reads the beta collection
-- a rolled-back transaction writes nothing
BEGIN;
INSERT INTO ev(job_id) VALUES ('rolled back');
UPDATE ev SET status = 'warning';
ROLLBACK;
SELECT count(*), group_concat(status) FROM ev;
-- ROLLBACK TO a savepoint drops what came after it
BEGIN;
INSERT INTO ev(job_id) VALUES ('kept');
SAVEPOINT s1;
INSERT INTO ev(job_id) VALUES ('dropped');
ROLLBACK TO s1;
COMMIT;
SELECT job_id FROM ev WHERE job_id IN ('kept', 'dropped');
SELECT json_array_length(provisioning_inserted_ids());
-- refusals, before anything is sent
DELETE FROM ev;
INSERT INTO ev(id, job_id) VALUES ('x', 'y');
INSERT INTO ev(duration_ms) VALUES ('abc');
INSERT INTO ev(activity_date_time) VALUES ('yesterday');
INSERT INTO ev(provisioning_steps) VALUES ('[1,');
INSERT INTO ev(raw) VALUES ('[1]');
INSERT INTO ev(raw, job_id) VALUES ('{}', 'j');
UPDATE ev SET id = 'other' WHERE job_id = 'kept';
UPDATE ev SET raw = '{}' WHERE job_id = 'kept';
INSERT INTO ro(job_id) VALUES ('x');
-- a writable table is DIRECTONLY: no trigger or view can drive it
CREATE TABLE t(x);
CREATE TRIGGER tr AFTER INSERT ON t BEGIN INSERT INTO ev(job_id) VALUES (new.x); END;
INSERT INTO t VALUES ('via trigger');
CREATE VIEW v AS SELECT * FROM ev;
SELECT count(*) FROM v;
-- a read-only table may be used in a view
CREATE VIEW vro AS SELECT * FROM ro;
SELECT count(*) FROM vro;
-- the file is a valid page after all that
SELECT json_valid(readfile('@BUILD@/writes.json')), json_array_length(readfile('@BUILD@/writes.json'), '$.value');
