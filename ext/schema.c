/*
** schema.c: the column catalogue of provisioning_events (see schema.h).
**
** The declared types are chosen for BI tools reading through the SQLite
** ODBC driver: identifiers and names VARCHAR(n), enumerations VARCHAR(32),
** free text and JSON TEXT, times TIMESTAMP, durations INTEGER. SQLite does
** not enforce the lengths; they only tell a client what to expect.
** Calls: nothing: a table of constants and the DDL built from it.
*/
#include "schema.h"

#include <string.h>

#include "sqlite3ext.h"

SQLITE_EXTENSION_INIT3

#define EQ SCH_OP_EQ
#define CT SCH_OP_CONTAINS
#define GT SCH_OP_GT
#define LT SCH_OP_LT

/* Keep in the order of the CREATE TABLE text below. */
const sch_column sch_events[EV_NCOLUMN] = {
    {"id", "VARCHAR(64)", SCH_TEXT, {"id"}, EQ | CT, 0, 0},
    {"activity_date_time", "TIMESTAMP COLLATE provisioning_time", SCH_TIME, {"activityDateTime"}, EQ | GT | LT, 1, 0},
    {"tenant_id", "VARCHAR(64)", SCH_TEXT, {"tenantId"}, EQ | CT, 0, 0},
    {"job_id", "VARCHAR(255)", SCH_TEXT, {"jobId"}, EQ | CT, 0, 0},
    {"cycle_id", "VARCHAR(64)", SCH_TEXT, {"cycleId"}, EQ | CT, 0, 0},
    {"change_id", "VARCHAR(64)", SCH_TEXT, {"changeId"}, EQ | CT, 0, 0},
    {"action", "VARCHAR(32)", SCH_TEXT, {"provisioningAction", "action"}, EQ | CT, 0, 0},
    {"duration_ms", "INTEGER", SCH_INT, {"durationInMilliseconds"}, EQ | GT | LT, 0, 0},
    /* an older Graph page says status filters ignore case: never exact */
    {"status", "VARCHAR(32)", SCH_TEXT, {"provisioningStatusInfo/status", "statusInfo/status"}, EQ | CT, 0, 1},
    /* v1.0: provisioningStatusInfo/errorInformation/...; beta: statusInfo is a
       statusDetails, the error fields directly on it (beta metadata) */
    {"error_code", "VARCHAR(255)", SCH_TEXT,
     {"provisioningStatusInfo/errorInformation/errorCode", "statusInfo/errorCode"}, 0, 0, 0},
    {"error_category", "VARCHAR(32)", SCH_TEXT,
     {"provisioningStatusInfo/errorInformation/errorCategory", "statusInfo/errorCategory"}, 0, 0, 0},
    {"error_reason", "TEXT", SCH_TEXT, {"provisioningStatusInfo/errorInformation/reason", "statusInfo/reason"}, 0, 0, 0},
    {"recommended_action", "TEXT", SCH_TEXT,
     {"provisioningStatusInfo/errorInformation/recommendedAction", "statusInfo/recommendedAction"}, 0, 0, 0},
    {"error_details", "TEXT", SCH_TEXT,
     {"provisioningStatusInfo/errorInformation/additionalDetails", "statusInfo/additionalDetails"}, 0, 0, 0},
    {"initiated_by_id", "VARCHAR(64)", SCH_TEXT, {"initiatedBy/id"}, 0, 0, 0},
    {"initiated_by_name", "VARCHAR(255)", SCH_TEXT, {"initiatedBy/displayName"}, EQ | CT, 0, 0},
    /* initiatingType is in no metadata (a typo in one docs example): a fallback, not a beta name */
    {"initiator_type", "VARCHAR(32)", SCH_TEXT, {"initiatedBy/initiatorType", "initiatedBy/initiatingType"}, 0, 0, 0},
    {"service_principal_id", "VARCHAR(64)", SCH_TEXT, {"servicePrincipal/id"}, EQ, 0, 0},
    {"service_principal_name", "VARCHAR(255)", SCH_TEXT, {"servicePrincipal/displayName", "servicePrincipal/name"}, EQ,
     0, 0},
    {"source_system_id", "VARCHAR(64)", SCH_TEXT, {"sourceSystem/id"}, 0, 0, 0},
    {"source_system_name", "VARCHAR(255)", SCH_TEXT, {"sourceSystem/displayName"}, EQ | CT, 0, 0},
    {"source_system_details", "TEXT", SCH_JSON, {"sourceSystem/details"}, 0, 0, 0},
    {"target_system_id", "VARCHAR(64)", SCH_TEXT, {"targetSystem/id"}, 0, 0, 0},
    {"target_system_name", "VARCHAR(255)", SCH_TEXT, {"targetSystem/displayName"}, EQ | CT, 0, 0},
    {"target_system_details", "TEXT", SCH_JSON, {"targetSystem/details"}, 0, 0, 0},
    {"source_identity_id", "VARCHAR(255)", SCH_TEXT, {"sourceIdentity/id"}, EQ | CT, 0, 0},
    {"source_identity_name", "VARCHAR(255)", SCH_TEXT, {"sourceIdentity/displayName"}, EQ | CT, 0, 0},
    {"source_identity_type", "VARCHAR(255)", SCH_TEXT, {"sourceIdentity/identityType"}, EQ | CT, 0, 0},
    {"source_identity_details", "TEXT", SCH_JSON, {"sourceIdentity/details"}, 0, 0, 0},
    {"target_identity_id", "VARCHAR(255)", SCH_TEXT, {"targetIdentity/id"}, EQ | CT, 0, 0},
    {"target_identity_name", "VARCHAR(255)", SCH_TEXT, {"targetIdentity/displayName"}, EQ | CT, 0, 0},
    {"target_identity_type", "VARCHAR(255)", SCH_TEXT, {"targetIdentity/identityType"}, EQ | CT, 0, 0},
    {"target_identity_details", "TEXT", SCH_JSON, {"targetIdentity/details"}, 0, 0, 0},
    {"provisioning_steps", "TEXT", SCH_JSON, {"provisioningSteps"}, 0, 0, 0},
    {"modified_properties", "TEXT", SCH_JSON, {"modifiedProperties"}, 0, 0, 0},
    {"raw", "TEXT", SCH_RAW, {0}, 0, 0, 0},
};

char *sch_events_ddl(void) {
  sqlite3_str *s = sqlite3_str_new(0);
  sqlite3_str_appendall(s, "CREATE TABLE x(");
  for (int i = 0; i < EV_NCOLUMN; i++) {
    sqlite3_str_appendf(s, "%s%s %s%s", i ? ", " : "", sch_events[i].zName, sch_events[i].zDecl,
                        sch_events[i].eKind == SCH_RAW ? " HIDDEN" : "");
  }
  sqlite3_str_appendall(s, ")");
  return sqlite3_str_finish(s);
}

int sch_events_find(const char *zName) {
  for (int i = 0; i < EV_NCOLUMN; i++) {
    if (sqlite3_stricmp(zName, sch_events[i].zName) == 0) return i;
  }
  return -1;
}

char *sch_events_select(uint64_t colUsed) {
  const char *azProp[EV_NCOLUMN + 1];
  int nProp = 0;
  if (colUsed & ((uint64_t)1 << EV_COLUMN_RAW)) return 0;
  azProp[nProp++] = "id"; /* rowids are a hash of the id */
  for (int i = 0; i < EV_NCOLUMN; i++) {
    if (!(colUsed & ((uint64_t)1 << i))) continue;
    const char *zPath = sch_events[i].azPath[0];
    if (!zPath) return 0;
    size_t n = strcspn(zPath, "/");
    int dup = 0;
    for (int k = 0; k < nProp; k++) {
      if (strcspn(azProp[k], "/") == n && memcmp(azProp[k], zPath, n) == 0) dup = 1;
    }
    if (!dup) azProp[nProp++] = zPath;
  }
  sqlite3_str *s = sqlite3_str_new(0);
  for (int k = 0; k < nProp; k++) {
    sqlite3_str_appendf(s, "%s%.*s", k ? "," : "", (int)strcspn(azProp[k], "/"), azProp[k]);
  }
  return sqlite3_str_finish(s);
}
