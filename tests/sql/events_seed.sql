-- provisioning_events over the seed 003 examples (v1.0 shape): every column
-- holds the value the seed shows.
.load @EXT@
.headers on
.mode line
CREATE VIRTUAL TABLE ok USING provisioning_events(source='file:tests/data/seed003_page_success_fixed.json');
CREATE VIRTUAL TABLE bad USING provisioning_events(source='file:tests/data/seed003_page_failure.json');
SELECT * FROM ok;
SELECT * FROM bad;
SELECT typeof(activity_date_time), typeof(duration_ms), typeof(error_code), typeof(recommended_action) FROM bad;
-- the hidden raw column is the whole object, minified
SELECT raw->>'$.id' AS id, json_valid(raw) AS valid, length(raw) AS len FROM ok;
-- rowids are stable across scans (a hash of the id): the failure event has
-- the same rowid in a pushed scan (where it comes first) and an unpushed one
CREATE VIRTUAL TABLE two USING provisioning_events(source='file:tests/data/two_pages.json');
SELECT (SELECT rowid FROM two WHERE status = 'failure') = (SELECT rowid FROM two WHERE +status = 'failure') AS stable;
-- the declared types BI tools see
.mode list
SELECT name, type, hidden FROM pragma_table_xinfo('ok') ORDER BY cid;
