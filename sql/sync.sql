-- sql/sync.sql: incremental sync of provisioning events into an ordinary
-- table of the database file, so dashboards read a local copy (fast, and
-- kept beyond Graph's 30-day retention) instead of calling Graph each time.
--
--   sqlite3 provisioning.db < sql/setup.sql   # once: creates the table events
--   sqlite3 provisioning.db < sql/sync.sql    # then as often as you like (cron)
--
-- Run from the repository root (it loads ./provisioning). With events on live
-- Graph (see setup.sql), GRAPH_TOKEN must be in the environment.
--
-- How it works: the newest activity_date_time already copied is the starting
-- point, and only events after it are asked for:
--     WHERE activity_date_time > (SELECT max(activity_date_time) FROM events_local)
-- That condition goes to the source ($filter=activityDateTime gt <newest>):
-- Graph sends only the new events, not the whole log again. On the first run
-- the local table is empty and coalesce() starts from 1970, i.e. everything.
-- Times are normalised by the extension (UTC, fixed width), so text order is
-- time order and the comparison is exact.
--
-- Idempotent: running it again with nothing new copies nothing; id is the
-- PRIMARY KEY and INSERT OR IGNORE never duplicates an event. Graph can show
-- an event a few minutes after it happened; to pick up such late arrivals,
-- overlap the window (duplicates are ignored), at the cost of fetching those
-- minutes again:
--     WHERE activity_date_time > (SELECT datetime(max(activity_date_time), '-15 minutes') ...)
--
-- Each run is recorded in sync_log (when, from which time, how many rows).
.load ./provisioning

CREATE TABLE IF NOT EXISTS events_local (
  id                      VARCHAR(64) PRIMARY KEY,
  activity_date_time      TIMESTAMP NOT NULL COLLATE provisioning_time,
  tenant_id               VARCHAR(64),
  job_id                  VARCHAR(255),
  cycle_id                VARCHAR(64),
  change_id               VARCHAR(64),
  action                  VARCHAR(32),
  duration_ms             INTEGER,
  status                  VARCHAR(32),
  error_code              VARCHAR(255),
  error_category          VARCHAR(32),
  error_reason            TEXT,
  recommended_action      TEXT,
  error_details           TEXT,
  initiated_by_id         VARCHAR(64),
  initiated_by_name       VARCHAR(255),
  initiator_type          VARCHAR(32),
  service_principal_id    VARCHAR(64),
  service_principal_name  VARCHAR(255),
  source_system_id        VARCHAR(64),
  source_system_name      VARCHAR(255),
  source_system_details   TEXT,
  target_system_id        VARCHAR(64),
  target_system_name      VARCHAR(255),
  target_system_details   TEXT,
  source_identity_id      VARCHAR(255),
  source_identity_name    VARCHAR(255),
  source_identity_type    VARCHAR(255),
  source_identity_details TEXT,
  target_identity_id      VARCHAR(255),
  target_identity_name    VARCHAR(255),
  target_identity_type    VARCHAR(255),
  target_identity_details TEXT,
  provisioning_steps      TEXT,
  modified_properties     TEXT
);
CREATE INDEX IF NOT EXISTS events_local_time ON events_local(activity_date_time);
CREATE INDEX IF NOT EXISTS events_local_job ON events_local(job_id, activity_date_time);

CREATE TABLE IF NOT EXISTS sync_log (
  synced_at  TIMESTAMP NOT NULL,   -- UTC, when this run happened
  since      TIMESTAMP NOT NULL,   -- events after this time were asked for
  new_rows   INTEGER NOT NULL      -- events after since in the local copy after this run
);

BEGIN;
-- the starting point, fixed before the copy
CREATE TEMP TABLE IF NOT EXISTS sync_since (t TEXT);
DELETE FROM temp.sync_since;
INSERT INTO temp.sync_since
SELECT coalesce(max(activity_date_time), '1970-01-01 00:00:00.0000000') FROM events_local;

INSERT OR IGNORE INTO events_local
SELECT id, activity_date_time, tenant_id, job_id, cycle_id, change_id, action, duration_ms,
       status, error_code, error_category, error_reason, recommended_action, error_details,
       initiated_by_id, initiated_by_name, initiator_type, service_principal_id,
       service_principal_name, source_system_id, source_system_name, source_system_details,
       target_system_id, target_system_name, target_system_details, source_identity_id,
       source_identity_name, source_identity_type, source_identity_details,
       target_identity_id, target_identity_name, target_identity_type,
       target_identity_details, provisioning_steps, modified_properties
  FROM events
 WHERE activity_date_time > (SELECT t FROM temp.sync_since);

INSERT INTO sync_log (synced_at, since, new_rows)
SELECT strftime('%Y-%m-%d %H:%M:%f', 'now'), t,
       (SELECT count(*) FROM events_local WHERE activity_date_time > t)  -- none were before
  FROM temp.sync_since;
COMMIT;
