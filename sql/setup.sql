-- sql/setup.sql: puts the provisioning tables into a database file, for BI
-- tools and other clients that list only the tables stored in the file.
--
--   cd /path/to/repo && sqlite3 provisioning.db < sql/setup.sql
--
-- Run it from the repository root: it loads ./provisioning and points the
-- table at the bundled sample, sql/sample/events.json (make sample), by its
-- ABSOLUTE path (the directory you run this in, plus sql/sample/events.json),
-- so the database file then works from any working directory and in any
-- client (an ODBC driver, Python, a BI tool started elsewhere). A relative
-- file: path in a CREATE VIRTUAL TABLE is resolved by each process that opens
-- the database from ITS current directory, as in any SQLite program (and as
-- for an in-memory database in the shell). To point it at another file:
--   DROP TABLE events;
--   CREATE VIRTUAL TABLE events USING provisioning_events(
--       source='file:/data/provisioning/events.json');
--
-- For live Microsoft Graph, recreate it with the Graph source instead. The
-- token is named by reference, never written here (the CREATE text is stored
-- in the file in plain text): the process that queries the table must have
-- GRAPH_TOKEN in its environment (e.g. from
--   az account get-access-token --resource-type ms-graph --query accessToken -o tsv)
-- or use the AZURE_TENANT_ID / AZURE_CLIENT_ID / AZURE_CLIENT_SECRET variables:
--   DROP TABLE events;
--   CREATE VIRTUAL TABLE events USING provisioning_events(
--       source='https://graph.microsoft.com/v1.0', auth='env:GRAPH_TOKEN');
--
-- Every process that opens the file must load the extension first (sqlite3:
-- .load ./provisioning; the SQLite ODBC driver: LoadExt= in the DSN; Python:
-- conn.load_extension). Without it, any use of these tables and views fails
-- with "no such module: provisioning_events".
--
-- The table is read-only (no writable=1), so views may use it, and BI tools
-- see its declared column types: TIMESTAMP for activity_date_time, INTEGER
-- for duration_ms, VARCHAR(n) for strings with a known length, TEXT for the
-- others. Running this script again changes nothing.
.load ./provisioning

-- CREATE VIRTUAL TABLE IF NOT EXISTS events USING provisioning_events(
--     source='file:<this directory>/sql/sample/events.json');
-- written by the shell with the absolute path of the current directory (' doubled):
.read '|printf "CREATE VIRTUAL TABLE IF NOT EXISTS events USING provisioning_events(source=\047file:%s/sql/sample/events.json\047);\n" "$(pwd | sed "s/\x27/\x27\x27/g")"'

-- Failed changes, with the fields a help desk needs.
CREATE VIEW IF NOT EXISTS failures AS
SELECT id, activity_date_time, job_id, cycle_id, service_principal_name, action,
       source_identity_name, source_identity_type, target_system_name,
       error_code, error_category, error_reason, recommended_action, duration_ms
  FROM events
 WHERE status = 'failure';

-- One row per provisioning step of every event (import, scoping, matching,
-- processing, referenceResolution, export).
CREATE VIEW IF NOT EXISTS event_steps AS
SELECT e.id AS event_id, e.activity_date_time, e.job_id, e.service_principal_name,
       e.status AS event_status, s.step, s.name AS step_name, s.step_type,
       s.status AS step_status, s.description
  FROM events e, provisioning_steps(e.provisioning_steps) s;

-- One row per attribute an event evaluated (changed or not: compare
-- old_value with new_value).
CREATE VIEW IF NOT EXISTS event_modified_properties AS
SELECT e.id AS event_id, e.activity_date_time, e.job_id, e.service_principal_name,
       e.action, e.status, e.source_identity_name, p.position, p.name AS attribute,
       p.old_value, p.new_value
  FROM events e, provisioning_modified_properties(e.modified_properties) p;
