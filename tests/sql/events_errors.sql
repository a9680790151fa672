-- Bad input: each is a clear error, the statement fails, the connection stays usable.
.load @EXT@
.bail off
CREATE VIRTUAL TABLE missing USING provisioning_events(source='file:tests/data/no_such_file.json');
SELECT count(*) FROM missing;
CREATE VIRTUAL TABLE empty USING provisioning_events(source='file:tests/data/empty.json');
SELECT count(*) FROM empty;
-- seed 003's success example has a trailing comma: the error names file, line and column
CREATE VIRTUAL TABLE comma USING provisioning_events(source='file:tests/data/seed003_page_success.json');
SELECT count(*) FROM comma;
SELECT id FROM comma;
CREATE VIRTUAL TABLE trunc USING provisioning_events(source='file:tests/data/truncated.json');
SELECT count(*) FROM trunc;
CREATE VIRTUAL TABLE notobj USING provisioning_events(source='file:tests/data/element_not_object.json');
SELECT count(*) FROM notobj;
CREATE VIRTUAL TABLE sur USING provisioning_events(source='file:tests/data/lone_surrogate.json');
SELECT id FROM sur;
SELECT job_id FROM sur;
CREATE VIRTUAL TABLE dir USING provisioning_events(source='file:tests');
SELECT count(*) FROM dir;
-- arguments
CREATE VIRTUAL TABLE a1 USING provisioning_events(source='file:x', colour='blue');
CREATE VIRTUAL TABLE a2 USING provisioning_events(source='https://graph.microsoft.com/v1.0', token='eyJ0eXAi');
CREATE VIRTUAL TABLE a3 USING provisioning_events(source='https://graph.microsoft.com/v1.0', auth='eyJ0eXAiOiJKV1Qi');
CREATE VIRTUAL TABLE a4 USING provisioning_events(source='file:x', page_size='lots');
CREATE VIRTUAL TABLE a5 USING provisioning_events(source='ftp://example.com/x');
CREATE VIRTUAL TABLE a6 USING provisioning_events(source='file:x', collection='other');
CREATE VIRTUAL TABLE a7 USING provisioning_events('file:x');
-- without a source, the eponymous table says how to configure one
SELECT count(*) FROM provisioning_events;
-- still usable
SELECT 'still usable', provisioning_version() = trim(CAST(readfile('VERSION') AS TEXT), char(10));
