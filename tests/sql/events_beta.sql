-- Beta shapes (beta metadata): statusInfo is a statusDetails carrying the
-- error fields directly (no errorInformation level); the v1.0 spellings win
-- when both are present; initiatingType (in no metadata) is only a fallback.
.load @EXT@
.headers on
.mode line
CREATE VIRTUAL TABLE b USING provisioning_events(source='file:tests/data/beta_status_details.ndjson');
SELECT id, action, status, error_code, error_category, error_reason, recommended_action, error_details,
       initiator_type
  FROM b ORDER BY activity_date_time;
.mode list
-- the error columns filter and group like any other (evaluated by SQLite)
SELECT 'category', error_category, group_concat(id) FROM b WHERE error_category IS NOT NULL GROUP BY 1, 2 ORDER BY 2;
SELECT 'code', id FROM b WHERE error_code = 'AzureDirectoryB2BManagementPolicyCheckFailure';
SELECT 'status', id FROM b WHERE status = 'failure' ORDER BY id;
