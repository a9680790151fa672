/*
** graph_url.c: what a Graph source= URL may look like (see graph_url.h).
**
** Usage:
**   CREATE VIRTUAL TABLE ev USING provisioning_events(
**       source='https://graph.microsoft.com/v1.0/auditLogs/provisioning');
**   -- the same table as source='https://graph.microsoft.com/v1.0'
**
** A Graph source is a base URL whose path ends with the API version, /v1.0
** or /beta; each table adds its own collection path. A URL that already
** ends with this table's collection path (copied from the Graph docs) is cut
** back to its base (for provisioning_events, .../auditLogs/directoryProvisioning
** also selects collection='directoryProvisioning'); any other URL is refused
** at CREATE with the expected form. Only the path is looked at (a query
** string or a fragment is the HTTP source's to refuse). Pure: calls nothing
** but SQLite's string functions.
*/
#include "graph_url.h"

#include <string.h>

SQLITE_EXTENSION_INIT3

/* Does z[0..n) end with zSuffix (ASCII case ignored)? */
static int ends_with(const char *z, size_t n, const char *zSuffix) {
  size_t m = strlen(zSuffix);
  return n >= m && sqlite3_strnicmp(z + n - m, zSuffix, (int)m) == 0;
}

static int refuse(const char *zModule, int eTable, const char *zSrc, size_t nShow, char **pzErr) {
  const char *zPath = eTable == GU_FLOWS ? "/external/industryData/outboundProvisioningFlowSets"
                                         : "/auditLogs/provisioning";
  const char *zEg = eTable == GU_FLOWS ? "https://graph.microsoft.com/beta" : "https://graph.microsoft.com/v1.0";
  *pzErr = sqlite3_mprintf("%s: source= must be Graph's base URL, ending in /v1.0 or /beta (the table adds %s%s), "
                           "e.g. source='%s', not '%.*s'",
                           zModule, zPath, eTable == GU_FLOWS ? " and each set's /provisioningFlows" : "", zEg,
                           (int)nShow, zSrc);
  return *pzErr ? SQLITE_ERROR : SQLITE_NOMEM;
}

int gu_source_base(const char *zModule, int eTable, prov_options *o, char **pzErr) {
  const char *zSrc = o->zSource;
  if (!zSrc) return SQLITE_OK;
  const char *zAuth = 0;
  if (sqlite3_strnicmp(zSrc, "https://", 8) == 0) zAuth = zSrc + 8;
  if (sqlite3_strnicmp(zSrc, "http://", 7) == 0) zAuth = zSrc + 7;
  if (!zAuth) return SQLITE_OK; /* file: or something prov_source_open refuses */
  size_t nUrl = strcspn(zSrc, "?#");
  if (nUrl < strlen(zSrc)) return SQLITE_OK; /* the HTTP source refuses it */
  size_t iPath = (size_t)(zAuth - zSrc) + strcspn(zAuth, "/");
  size_t n = nUrl;
  while (n > iPath && zSrc[n - 1] == '/') n--;
  const char *zCollection = 0;
  static const char *const azEvents[] = {"/auditLogs/provisioning", "/auditLogs/directoryProvisioning", 0};
  static const char *const azFlows[] = {"/external/industryData/outboundProvisioningFlowSets",
                                        "/external/industryData", 0};
  const char *const *az = eTable == GU_FLOWS ? azFlows : azEvents;
  for (int i = 0; az[i]; i++) {
    if (ends_with(zSrc + iPath, n - iPath, az[i])) {
      n -= strlen(az[i]);
      if (eTable == GU_EVENTS) zCollection = i == 0 ? "provisioning" : "directoryProvisioning";
      break;
    }
  }
  if (!ends_with(zSrc + iPath, n - iPath, "/v1.0") && !ends_with(zSrc + iPath, n - iPath, "/beta")) {
    return refuse(zModule, eTable, zSrc, nUrl, pzErr);
  }
  if (zCollection) {
    if (strcmp(zCollection, "provisioning") == 0 && o->zCollection &&
        strcmp(o->zCollection, "directoryProvisioning") == 0) {
      *pzErr = sqlite3_mprintf("%s: source= ends with /auditLogs/provisioning but collection='directoryProvisioning': "
                               "give the base URL (e.g. source='https://graph.microsoft.com/beta') and the collection",
                               zModule);
      return *pzErr ? SQLITE_ERROR : SQLITE_NOMEM;
    }
    o->zCollection = zCollection;
  }
  ((char *)zSrc)[n] = 0; /* the caller's own copy (see graph_url.h) */
  return SQLITE_OK;
}
