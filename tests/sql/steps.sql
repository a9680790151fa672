.load @EXT@
.headers on
.mode list
-- ===== seed 003, failure example: three steps, six modified properties
SELECT step, name, step_type, status, description, json(details) AS details
  FROM provisioning_steps(readfile('tests/data/seed003_failure.json'));
SELECT position, name, typeof(old_value) AS old_type, old_value IS NULL AS old_is_null, new_value
  FROM provisioning_modified_properties(readfile('tests/data/seed003_failure.json'));
-- details is the input's own text (whitespace kept)
SELECT step, details = '{}' AS empty_bag, instr(details, char(10)) > 0 AS multiline
  FROM provisioning_steps(readfile('tests/data/seed003_failure.json'));
-- ===== seed 003, success example (trailing comma fixed)
SELECT step, name, step_type, status, json(details) AS details
  FROM provisioning_steps(readfile('tests/data/seed003_success.json'));
SELECT position, name, old_value IS NULL AS old_is_null, new_value
  FROM provisioning_modified_properties(readfile('tests/data/seed003_success.json'));
-- the seed as published has a trailing comma: an error naming where
SELECT count(*) FROM provisioning_steps(readfile('tests/data/seed003_success_trailing_comma.json'));
SELECT count(*) FROM provisioning_modified_properties(readfile('tests/data/seed003_success_trailing_comma.json'));
-- ===== inputs from SQLite's JSON functions, BLOBs, the hidden column
SELECT step, name FROM provisioning_steps(json('[ {"name" : "j1"}, {"name":"j2"} ]'));
SELECT step, name, status
  FROM provisioning_steps(CAST(readfile('tests/data/seed003_failure.json') AS TEXT) -> '$.provisioningSteps');
SELECT position, name, new_value
  FROM provisioning_modified_properties(CAST(readfile('tests/data/seed003_failure.json') AS TEXT) -> 'modifiedProperties')
 WHERE position < 2;
SELECT step, name FROM provisioning_steps(CAST('[{"name":"from a blob"}]' AS BLOB));
SELECT name, json FROM provisioning_steps WHERE json = '[{"name":"hidden"}]';
SELECT rowid, step FROM provisioning_steps('[{},{},{}]') WHERE rowid = 1;
SELECT group_concat(step) AS ordered FROM (SELECT step FROM provisioning_steps('[{},{},{}]') ORDER BY step DESC);
-- ===== escapes and surrogate pairs, fully decoded to UTF-8
SELECT name, hex(name) AS bytes, description, length(description) AS chars
  FROM provisioning_steps('[{"name":"\u00e9\u20ac\ud83d\ude00","description":"q\"b\\s\/t\tn\nu\u0041"}]');
SELECT name, hex(old_value) AS old_bytes, new_value
  FROM provisioning_modified_properties('{"modifiedProperties":[{"displayName":"caf\u00E9","oldValue":"\uD834\uDD1E","newValue":"\u0022quoted\u0022"}]}');
-- a lone or misordered surrogate is an error naming the byte offset
SELECT name FROM provisioning_steps('[{"name":"ok\ud83d"}]');
SELECT name FROM provisioning_steps('[{"name":"\ude00"}]');
SELECT name FROM provisioning_steps('[{"name":"\ude00\ud83d"}]');
SELECT new_value FROM provisioning_modified_properties('[{"newValue":"x\ud800y"}]');
-- (raised when the column is read: a query not reading it still counts the row)
SELECT count(*) AS not_read FROM provisioning_steps('[{"name":"\ud83d"}]');
-- bad escapes are caught by the validator
SELECT name FROM provisioning_steps('[{"name":"bad \x escape"}]');
SELECT name FROM provisioning_steps('[{"name":"bad \u12G4"}]');
-- ===== wrong shapes
-- SQL NULL, JSON null, no member, member null, empty array: no rows
SELECT count(*) AS sql_null FROM provisioning_steps(NULL);
SELECT count(*) AS json_null FROM provisioning_steps('null');
SELECT count(*) AS empty_object FROM provisioning_steps('{}');
SELECT count(*) AS no_member FROM provisioning_steps('{"id":"x","modifiedProperties":[{}]}');
SELECT count(*) AS member_null FROM provisioning_steps('{"provisioningSteps":null}');
SELECT count(*) AS member_null FROM provisioning_modified_properties('{"modifiedProperties" : null}');
SELECT count(*) AS empty_array FROM provisioning_steps(' [ ] ');
-- only the event's own (top-level) member counts
SELECT count(*) AS nested_only FROM provisioning_steps('{"x":{"provisioningSteps":[{"name":"deep"}]}}');
SELECT name FROM provisioning_steps('{"a":{"provisioningSteps":[{"name":"nested"}]},"b":["provisioningSteps"],"provisioningSteps":[{"name":"top"}]}');
-- duplicate members: the first wins (steps and within an element)
SELECT name FROM provisioning_steps('{"provisioningSteps":[{"name":"first","name":"second"}],"provisioningSteps":[{"name":"other"}]}');
-- missing members are NULL; numbers, booleans, arrays, objects come back as JSON text
SELECT step, name, typeof(name) AS t_name, step_type, status, description, details, typeof(details) AS t_details
  FROM provisioning_steps('[{"name":42,"provisioningStepType":true,"status":-1.5e3,"description":[1, "a"],"details":null},{}]');
SELECT position, name, old_value, typeof(old_value) AS t_old, new_value, typeof(new_value) AS t_new
  FROM provisioning_modified_properties('[{"displayName":"n","oldValue":0,"newValue":{"a":[true,false]}},{"displayName":"m","oldValue":false,"newValue":null}]');
-- strings holding quotes, backslashes and brackets do not confuse the walk
SELECT step, name, description FROM provisioning_steps('{"a":"x\\\"}]","b":["]\"",{"c":"\\"}],"provisioningSteps":[{"name":"q\\","description":"}],["},{"name":"r\"]","description":"\\\\"}]}');
SELECT step, name FROM provisioning_steps('[{"details":{"x":"}"},"name":"after details"},{"details":[1,{"y":[]}],"name":"n2"}]');
-- member names are matched as written: an escaped spelling does not match
SELECT name FROM provisioning_steps('[{"n\u0061me":"escaped key","name":"plain key"}]');
-- errors: not JSON (byte offset, line, column and reason)
SELECT count(*) FROM provisioning_steps('');
SELECT count(*) FROM provisioning_steps('not json');
SELECT count(*) FROM provisioning_steps('[{"name":"a"},]');
SELECT count(*) FROM provisioning_steps('[{"name":"a"}');
SELECT count(*) FROM provisioning_steps('[{"name":"a"}] x');
SELECT count(*) FROM provisioning_steps('[' || char(10) || ' {"name":"a"},' || char(10) || ' {"name" "b"}' || char(10) || ']');
SELECT count(*) FROM provisioning_steps('[{"name":"a	tab"}]');
SELECT count(*) FROM provisioning_steps(CAST(x'5b7b226e616d65223a2200227d5d' AS TEXT));
SELECT count(*) FROM provisioning_steps(x'5b7b226e616d65223a2200227d5d');
SELECT count(*) FROM provisioning_steps('[1e]');
-- errors: JSON of the wrong shape
SELECT count(*) FROM provisioning_steps('"[]"');
SELECT count(*) FROM provisioning_steps('42');
SELECT count(*) FROM provisioning_modified_properties('true');
SELECT count(*) FROM provisioning_steps('{"provisioningSteps":{"name":"a"}}');
SELECT count(*) FROM provisioning_modified_properties('{"modifiedProperties":"[]"}');
SELECT count(*) FROM provisioning_steps('[{"name":"a"},{"name":"b"},3]');
SELECT count(*) FROM provisioning_steps('[{}, null]');
SELECT count(*) FROM provisioning_modified_properties('{"modifiedProperties":[["displayName"]]}');
SELECT count(*) FROM provisioning_modified_properties('["x"]');
SELECT count(*) FROM provisioning_steps('[{"name":"a"},{"name":"b"},false]');
-- nesting: 512 levels in all (510 inside an element) are fine, 100,000 are an error
SELECT length(details) AS deep_details
  FROM provisioning_steps('[{"details":' || printf('%.510c', '[') || printf('%.510c', ']') || '}]');
SELECT count(*) FROM provisioning_steps(printf('%.100000c', '['));
SELECT count(*) FROM provisioning_steps('[{"details":' || printf('%.100000c', '[') || printf('%.100000c', ']') || '}]');
-- huge numbers stay text
SELECT name FROM provisioning_steps('[{"name":123456789012345678901234567890e999999}]');
-- no argument
SELECT count(*) FROM provisioning_steps;
SELECT count(*) FROM provisioning_modified_properties;
-- ===== views and triggers (the functions are innocuous)
PRAGMA trusted_schema = OFF;
CREATE TABLE events(id TEXT PRIMARY KEY, raw TEXT);
INSERT INTO events VALUES
  ('fail', CAST(readfile('tests/data/seed003_failure.json') AS TEXT)),
  ('ok', CAST(readfile('tests/data/seed003_success.json') AS TEXT)),
  ('empty', '{"id":"empty","provisioningSteps":[],"modifiedProperties":null}'),
  ('none', '{"id":"none"}');
CREATE VIEW failed_steps AS
  SELECT e.id, s.step, s.name, s.description FROM events e, provisioning_steps(e.raw) s
   WHERE s.status = 'failure';
SELECT * FROM failed_steps;
CREATE TABLE changed(event_id TEXT, name TEXT, new_value TEXT);
CREATE TRIGGER events_changed AFTER INSERT ON events BEGIN
  INSERT INTO changed SELECT new.id, m.name, m.new_value
    FROM provisioning_modified_properties(new.raw) m WHERE m.name LIKE 'a%';
END;
INSERT INTO events VALUES ('trig', '{"modifiedProperties":[{"displayName":"accountEnabled","oldValue":"False","newValue":"True"},{"displayName":"mail","newValue":"x"}]}');
SELECT * FROM changed;
-- ===== lateral joins over several events
WITH ev(id, raw) AS (SELECT id, raw FROM events WHERE id <> 'trig')
SELECT e.id, s.step, s.name, s.status FROM ev e, provisioning_steps(e.raw) s ORDER BY e.id, s.step;
WITH ev(id, raw) AS (SELECT id, raw FROM events)
SELECT e.id, count(m.position) AS n_props FROM ev e LEFT JOIN provisioning_modified_properties(e.raw) m
 GROUP BY e.id ORDER BY e.id;
-- the function placed first in FROM is still run inside the events loop
SELECT e.id, count(*) AS n_steps FROM provisioning_steps(e.raw) s, events e GROUP BY e.id ORDER BY e.id;
EXPLAIN QUERY PLAN SELECT e.id, s.name FROM provisioning_steps(e.raw) s, events e;
-- the JSON each event's page holds, unnested with json_each
SELECT e.key AS event, s.step, s.name
  FROM json_each('{"value":[' || (SELECT raw FROM events WHERE id = 'fail') || ',' || (SELECT raw FROM events WHERE id = 'ok') || ']}', '$.value') e,
       provisioning_steps(e.value) s;
