-- Golden test of sql/reports/slowest_changes.sql on the bundled sample (make sample:
-- 10,000 events, seed 42). .eqp on prints the plan the report runs with:
-- the SCAN events ... INDEX line shows the condition sent to the source.
.load @EXT@
CREATE VIRTUAL TABLE events USING provisioning_events(source='file:sql/sample/events.json');
.headers on
.mode list
.eqp on
.read sql/reports/slowest_changes.sql
.eqp off
-- The same report over a Graph source: the OData query live Graph would get
-- (EXPLAIN only plans: nothing is contacted).
DROP TABLE events;
CREATE VIRTUAL TABLE events USING provisioning_events(source='http://127.0.0.1:9/v1.0');
.read '|(printf "EXPLAIN QUERY PLAN "; cat sql/reports/slowest_changes.sql)'
