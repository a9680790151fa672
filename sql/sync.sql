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
-- How it works: provisioning_sync() (ext/sync.c) asks the source for the
-- events after a starting point and copies them in time order:
--     since = (the newest activity_date_time already copied) - LOOK-BACK
--     WHERE activity_date_time > since ORDER BY activity_date_time
-- sent to Graph as $filter=activityDateTime gt <since>&$orderby=activityDateTime,
-- so Graph sends only that window, not the whole log. On the first run the
-- local table is empty and since is 1970, i.e. everything.
--
-- The look-back window: Graph lists some events a while after they
-- happened (provisioning logs are not real-time), with an activity time
-- before events it listed earlier. Each run re-reads the last LOOK-BACK
-- before the newest copied event (default 2 hours: the third argument of
-- the call below, the one place to change it, e.g. '6 hours'); id is the
-- PRIMARY KEY and INSERT OR IGNORE skips what is already here, so only the
-- late ones are added. Worst case: an event Graph lists more than LOOK-BACK
-- after newer events were copied is never copied by later runs; to catch
-- up, run once with a longer window (e.g. '30 days', Graph's retention).
--
-- Failures: rows are committed every 1000 as they are copied, in time
-- order, so a failure in the middle (page 40 of 60) keeps every event
-- copied so far, and the next run resumes from the newest of them (minus
-- the look-back). A function does this, not plain SQL: one INSERT ... SELECT
-- is one statement, and a failed statement rolls back all it inserted.
--
-- Each run adds a row to sync_log: when, the window asked for (since, and
-- the look-back), rows fetched from the source, rows new here, and 'ok' or
-- the error. Running it again with nothing new copies nothing.
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
  since      TIMESTAMP,            -- events after this time were asked for
  lookback   VARCHAR(32),          -- the look-back window used
  fetched    INTEGER,              -- rows the source returned
  new_rows   INTEGER,              -- of those, rows the local copy did not have
  status     TEXT                  -- 'ok', or the error (what was copied is kept)
);

-- source table, local table, LOOK-BACK, log table
SELECT provisioning_sync('events', 'events_local', '2 hours', 'sync_log');
