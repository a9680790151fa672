/*
** global.c: the per-connection state shared by the table modules and the
** SQL functions (prov_global), the opening of a source by its source= text
** (file: or http(s)://), and the setting of a virtual table's error
** message. See global.h.
**
** Calls: source.h (source_file_open, source_http_open), SQLite.
*/
#include "global.h"

#include <string.h>

SQLITE_EXTENSION_INIT3

prov_global *prov_global_new(void) {
  prov_global *g = sqlite3_malloc64(sizeof(*g));
  if (g) memset(g, 0, sizeof(*g));
  return g;
}

void prov_global_free(void *p) {
  prov_global *g = (prov_global *)p;
  if (!g) return;
  sqlite3_free(g->zLastId);
  sqlite3_free(g->zLastIds);
  sqlite3_free(g->zCommitWrites);
  sqlite3_free(g);
}

int prov_source_open(const char *zModule, const prov_options *opts, prov_source **pp, char **pzErr) {
  const char *z = opts->zSource;
  if (strncmp(z, "file:", 5) == 0) return source_file_open(opts, pp, pzErr);
  if (sqlite3_strnicmp(z, "https://", 8) == 0 || sqlite3_strnicmp(z, "http://", 7) == 0) {
    return source_http_open(opts, pp, pzErr);
  }
  *pzErr = sqlite3_mprintf("%s: source='%s' is neither file:PATH nor an https:// URL", zModule, z);
  return *pzErr ? SQLITE_ERROR : SQLITE_NOMEM;
}

int prov_vtab_error(sqlite3_vtab *pVtab, char *zMsg) {
  sqlite3_free(pVtab->zErrMsg);
  pVtab->zErrMsg = zMsg;
  return zMsg ? SQLITE_ERROR : SQLITE_NOMEM;
}
