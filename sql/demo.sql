-- make demo: a few short reports over the bundled sample (sql/sample/events.json).
.load ./provisioning
.headers on
.mode box
CREATE VIRTUAL TABLE ev USING provisioning_events(source='file:sql/sample/events.json');

.print 'Provisioning events in the sample'
SELECT count(*) AS events, min(activity_date_time) AS first, max(activity_date_time) AS last,
       sum(status = 'failure') AS failures
  FROM ev;

.print ''
.print 'Failures per application (service principal)'
SELECT service_principal_name AS application, count(*) AS failures,
       count(DISTINCT target_identity_id) AS identities
  FROM ev
 WHERE status = 'failure'
 GROUP BY 1 ORDER BY 2 DESC;

.print ''
.print 'Top error codes, with what to do about them'
SELECT substr(error_code, 1, 40) AS error_code, count(*) AS n,
       substr(max(recommended_action), 1, 60) AS recommended_action
  FROM ev
 WHERE status = 'failure'
 GROUP BY 1 ORDER BY 2 DESC LIMIT 5;

.print ''
.print 'The five latest failures (WHERE, ORDER BY and LIMIT go to the source)'
SELECT activity_date_time, action, target_identity_name AS identity, substr(error_code, 1, 40) AS error_code
  FROM ev
 WHERE status = 'failure'
 ORDER BY activity_date_time DESC LIMIT 5;

.print ''
.print 'What is sent to the source for that query'
.mode list
EXPLAIN QUERY PLAN
SELECT activity_date_time FROM ev WHERE status = 'failure' ORDER BY activity_date_time DESC LIMIT 5;
.mode box

.print ''
.print "Which step fails most (provisioning_steps unnests each event's steps)"
SELECT s.step_type, s.name, count(*) AS failures
  FROM ev e, provisioning_steps(e.provisioning_steps) s
 WHERE e.status = 'failure' AND s.status = 'failure'
 GROUP BY 1, 2 ORDER BY 3 DESC LIMIT 5;
