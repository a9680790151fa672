/*
** flow_sets_write.c: writes to provisioning_flow_sets (writable=1).
**
** Usage:
**   CREATE VIRTUAL TABLE fs USING provisioning_flow_sets(
**       source='https://graph.microsoft.com/beta', auth='env:GRAPH_TOKEN', writable=1);
**   INSERT INTO fs(display_name, filter) VALUES ('Contoso: staff',
**       '{"@odata.type":"#microsoft.graph.industryData.basicFilter","attribute":"orgExternalId","in":["org-1"]}');
**   SELECT provisioning_last_insert_id();                       -- after COMMIT
**   UPDATE fs SET display_name = 'Contoso: all staff' WHERE id = '...';
**   DELETE FROM fs WHERE id = '...';
**
** How it works:
**   Graph's outboundProvisioningFlowSet takes displayName and filter; the
**   rest (id, createdDateTime, lastModifiedDateTime) is Graph's. Each
**   change is checked and queued (writes.h); the queue is sent at COMMIT,
**   in order, and a ROLLBACK sends nothing:
**     INSERT  POST   .../outboundProvisioningFlowSets   {"displayName":...,"filter":{...}}
**     UPDATE  PATCH  .../outboundProvisioningFlowSets/{id}  only the members that changed
**     DELETE  DELETE .../outboundProvisioningFlowSets/{id}
**   display_name is required (text); filter is a JSON object or NULL.
**   UPDATE and DELETE need the row's id: the table's xRowid hands each
**   record read here (fsw_seen_add) until the transaction ends. Columns
**   an UPDATE does not set arrive as "no change" (the table's xColumn
**   honours sqlite3_vtab_nochange), so a given read-only column is a change.
**
** Calls: writes.h (queue, JSON strings), flow_common.h (the columns),
** json.h (checks, minify, text walk), odata.h (percent-encoding), SQLite.
*/
#include "flow_sets_write.h"

#include <string.h>

#include "flow_common.h"
#include "json.h"
#include "odata.h"

SQLITE_EXTENSION_INIT3

#define FSW_WHO "provisioning_flow_sets"

struct fsw_seen {
  sqlite3_int64 iRowid;
  char *zRec;
  size_t nRec;
};

void fsw_seen_clear(fsw_state *w) {
  for (int i = 0; i < w->nSeen; i++) sqlite3_free(w->aSeen[i].zRec);
  sqlite3_free(w->aSeen);
  w->aSeen = 0;
  w->nSeen = w->nSeenAlloc = 0;
}

static fsw_seen *fsw_seen_find(fsw_state *w, sqlite3_int64 iRowid) {
  for (int i = w->nSeen - 1; i >= 0; i--) {
    if (w->aSeen[i].iRowid == iRowid) return &w->aSeen[i];
  }
  return 0;
}

int fsw_seen_add(fsw_state *w, sqlite3_int64 iRowid, const char *zRec, size_t nRec) {
  char *z = sqlite3_malloc64(nRec + 1);
  if (!z) return SQLITE_NOMEM;
  memcpy(z, zRec, nRec);
  z[nRec] = 0;
  fsw_seen *p = fsw_seen_find(w, iRowid);
  if (!p) {
    if (w->nSeen >= w->nSeenAlloc) {
      int nNew = w->nSeenAlloc ? w->nSeenAlloc * 2 : 8;
      fsw_seen *aNew = sqlite3_realloc64(w->aSeen, sizeof(fsw_seen) * (sqlite3_uint64)nNew);
      if (!aNew) {
        sqlite3_free(z);
        return SQLITE_NOMEM;
      }
      w->aSeen = aNew;
      w->nSeenAlloc = nNew;
    }
    p = &w->aSeen[w->nSeen++];
    p->iRowid = iRowid;
  } else {
    sqlite3_free(p->zRec);
  }
  p->zRec = z;
  p->nRec = nRec;
  return SQLITE_OK;
}

/*
** The new value of display_name or filter as a JSON value (sqlite3_malloc'd):
** a string, or a minified object, or "null" for a NULL filter.
*/
static int fsw_value_json(sqlite3_vtab *pVtab, int iCol, sqlite3_value *pVal, char **pz) {
  *pz = 0;
  if (sqlite3_value_type(pVal) == SQLITE_NULL) {
    if (iCol == FLOW_SETS_COLUMN_DISPLAY_NAME) return SQLITE_OK; /* the caller says which message */
    *pz = sqlite3_mprintf("null");
    return *pz ? SQLITE_OK : SQLITE_NOMEM;
  }
  const char *z = (const char *)sqlite3_value_text(pVal);
  size_t n = (size_t)sqlite3_value_bytes(pVal);
  if (!z) return SQLITE_NOMEM;
  if (iCol == FLOW_SETS_COLUMN_DISPLAY_NAME) {
    sqlite3_str *s = sqlite3_str_new(0);
    writes_json_string(s, z, (int)n);
    *pz = sqlite3_str_finish(s);
    return *pz ? SQLITE_OK : SQLITE_NOMEM;
  }
  size_t errOff = 0;
  const char *zWhy = 0;
  int bObject = 0;
  if (pj_check_one(z, n, &errOff, &zWhy, &bObject) != PJ_OK) {
    return prov_vtab_error(pVtab, sqlite3_mprintf(FSW_WHO ": filter is not valid JSON (%s at byte %lld)", zWhy,
                                            (long long)errOff));
  }
  if (!bObject) return prov_vtab_error(pVtab, sqlite3_mprintf(FSW_WHO ": filter must be a JSON object (or NULL)"));
  char *zMin = sqlite3_malloc64(n + 1);
  if (!zMin) return SQLITE_NOMEM;
  zMin[pj_minify(z, n, zMin)] = 0;
  *pz = zMin;
  return SQLITE_OK;
}

/* Member zKey of record zRec as the same JSON form (NULL when absent), sqlite3_malloc'd. */
static int fsw_old_json(const char *zRec, size_t nRec, const char *zKey, char **pz) {
  size_t off, len;
  *pz = 0;
  if (!pj_text_member(zRec, nRec, zKey, strlen(zKey), &off, &len)) return SQLITE_OK;
  char *z = sqlite3_malloc64(len + 1);
  if (!z) return SQLITE_NOMEM;
  z[pj_minify(zRec + off, len, z)] = 0;
  *pz = z;
  return SQLITE_OK;
}

/* The id of record zRec, unescaped (sqlite3_malloc'd), or NULL (*pbOom on OOM). */
static char *fsw_old_id(const char *zRec, size_t nRec, int *pbOom) {
  size_t off, len;
  *pbOom = 0;
  if (!pj_text_member(zRec, nRec, "id", 2, &off, &len) || len < 2 || zRec[off] != '"') return 0;
  char *z = sqlite3_malloc64(len);
  if (!z) {
    *pbOom = 1;
    return 0;
  }
  int nOut = pj_unescape(zRec + off + 1, len - 2, z, 0);
  if (nOut < 0) {
    sqlite3_free(z);
    return 0;
  }
  z[nOut] = 0;
  return z;
}

static char *fsw_set_path(const char *zId) {
  sqlite3_str *s = sqlite3_str_new(0);
  sqlite3_str_appendall(s, FL_SETS_PATH);
  if (zId) {
    sqlite3_str_appendchar(s, 1, '/');
    odata_percent(s, zId, (int)strlen(zId));
  }
  return sqlite3_str_finish(s);
}

static int fsw_insert(writes_table *t, sqlite3_value **aCol) {
  sqlite3_vtab *pVtab = &t->base;
  for (int i = 0; i < FLOW_SETS_NCOLUMN; i++) {
    if (i == FLOW_SETS_COLUMN_DISPLAY_NAME || i == FLOW_SETS_COLUMN_FILTER) continue;
    if (sqlite3_value_type(aCol[i]) == SQLITE_NULL) continue;
    if (i == FLOW_SETS_COLUMN_RAW) return prov_vtab_error(pVtab, sqlite3_mprintf(FSW_WHO ": raw cannot be written: set display_name and filter"));
    return prov_vtab_error(pVtab, sqlite3_mprintf(FSW_WHO ": %s is read-only (Graph sets it): leave it out of the INSERT%s",
                                            fl_set_columns[i].zName,
                                            i == FLOW_SETS_COLUMN_ID ? " and read it with provisioning_last_insert_id() after "
                                                                 "COMMIT"
                                                               : ""));
  }
  if (sqlite3_value_type(aCol[FLOW_SETS_COLUMN_DISPLAY_NAME]) == SQLITE_NULL) {
    return prov_vtab_error(pVtab, sqlite3_mprintf(FSW_WHO ": display_name is required"));
  }
  char *zName = 0, *zFilter = 0;
  int rc = fsw_value_json(pVtab, FLOW_SETS_COLUMN_DISPLAY_NAME, aCol[FLOW_SETS_COLUMN_DISPLAY_NAME], &zName);
  if (rc == SQLITE_OK && sqlite3_value_type(aCol[FLOW_SETS_COLUMN_FILTER]) != SQLITE_NULL) {
    rc = fsw_value_json(pVtab, FLOW_SETS_COLUMN_FILTER, aCol[FLOW_SETS_COLUMN_FILTER], &zFilter);
  }
  if (rc) {
    sqlite3_free(zName);
    return rc;
  }
  char *zBody = zFilter ? sqlite3_mprintf("{\"displayName\":%s,\"filter\":%s}", zName, zFilter)
                        : sqlite3_mprintf("{\"displayName\":%s}", zName);
  sqlite3_free(zName);
  sqlite3_free(zFilter);
  if (!zBody) return SQLITE_NOMEM;
  t->nInsert++;
  return writes_add(&t->writes, "POST", fsw_set_path(0), zBody, sqlite3_mprintf("INSERT of flow set %d", t->nInsert));
}

static int fsw_change(writes_table *t, fsw_state *w, sqlite3_value **argv) {
  sqlite3_vtab *pVtab = &t->base;
  sqlite3_value **aCol = argv + 2;
  sqlite3_int64 iRowid = sqlite3_value_int64(argv[0]);
  if (sqlite3_value_type(argv[1]) == SQLITE_NULL || sqlite3_value_int64(argv[1]) != iRowid) {
    return prov_vtab_error(pVtab, sqlite3_mprintf(FSW_WHO ": the rowid is a hash of the id and cannot be set"));
  }
  fsw_seen *e = fsw_seen_find(w, iRowid);
  if (!e) return prov_vtab_error(pVtab, sqlite3_mprintf(FSW_WHO ": the flow set to UPDATE was not read in this statement"));
  int bOom = 0;
  char *zId = fsw_old_id(e->zRec, e->nRec, &bOom);
  if (!zId) return bOom ? SQLITE_NOMEM : prov_vtab_error(pVtab, sqlite3_mprintf(FSW_WHO ": the flow set as read has no id: cannot PATCH it"));
  int rc = SQLITE_OK;
  for (int i = 0; i < FLOW_SETS_NCOLUMN && rc == SQLITE_OK; i++) {
    if (i == FLOW_SETS_COLUMN_DISPLAY_NAME || i == FLOW_SETS_COLUMN_FILTER || sqlite3_value_nochange(aCol[i])) continue;
    if (i == FLOW_SETS_COLUMN_ID && sqlite3_value_type(aCol[i]) == SQLITE_TEXT &&
        strcmp((const char *)sqlite3_value_text(aCol[i]), zId) == 0) {
      continue; /* SET id = id */
    }
    rc = prov_vtab_error(pVtab, sqlite3_mprintf(FSW_WHO ": %s cannot be changed by UPDATE%s", fl_set_columns[i].zName,
                                          i == FLOW_SETS_COLUMN_RAW ? ": set display_name and filter" : " (Graph sets it)"));
  }
  sqlite3_str *s = sqlite3_str_new(0);
  int nChanged = 0;
  static const char *const azProp[] = {"displayName", "filter"};
  for (int k = 0; k < 2 && rc == SQLITE_OK; k++) {
    int i = k ? FLOW_SETS_COLUMN_FILTER : FLOW_SETS_COLUMN_DISPLAY_NAME;
    if (sqlite3_value_nochange(aCol[i])) continue;
    if (i == FLOW_SETS_COLUMN_DISPLAY_NAME && sqlite3_value_type(aCol[i]) == SQLITE_NULL) {
      rc = prov_vtab_error(pVtab, sqlite3_mprintf(FSW_WHO ": display_name cannot be NULL"));
      break;
    }
    char *zNew = 0, *zOld = 0;
    rc = fsw_value_json(pVtab, i, aCol[i], &zNew);
    if (rc == SQLITE_OK) rc = fsw_old_json(e->zRec, e->nRec, azProp[k], &zOld);
    if (rc == SQLITE_OK) {
      int bSame = zOld ? strcmp(zOld, zNew) == 0 : strcmp(zNew, "null") == 0;
      if (!bSame) {
        sqlite3_str_appendf(s, "%s\"%s\":%s", nChanged++ ? "," : "{", azProp[k], zNew);
      }
    }
    sqlite3_free(zNew);
    sqlite3_free(zOld);
  }
  if (nChanged) sqlite3_str_appendchar(s, 1, '}');
  char *zBody = sqlite3_str_finish(s);
  if (rc == SQLITE_OK && nChanged && !zBody) rc = SQLITE_NOMEM;
  if (rc || !nChanged) {
    sqlite3_free(zBody);
    sqlite3_free(zId);
    return rc;
  }
  char *zWhat = sqlite3_mprintf("UPDATE of flow set %s", zId);
  rc = writes_add(&t->writes, "PATCH", fsw_set_path(zId), zBody, zWhat);
  sqlite3_free(zId);
  return rc;
}

static int fsw_delete(writes_table *t, fsw_state *w, sqlite3_int64 iRowid) {
  sqlite3_vtab *pVtab = &t->base;
  fsw_seen *e = fsw_seen_find(w, iRowid);
  if (!e) return prov_vtab_error(pVtab, sqlite3_mprintf(FSW_WHO ": the flow set to DELETE was not read in this statement"));
  int bOom = 0;
  char *zId = fsw_old_id(e->zRec, e->nRec, &bOom);
  if (!zId) return bOom ? SQLITE_NOMEM : prov_vtab_error(pVtab, sqlite3_mprintf(FSW_WHO ": the flow set as read has no id: cannot DELETE it"));
  int rc = writes_add(&t->writes, "DELETE", fsw_set_path(zId), 0, sqlite3_mprintf("DELETE of flow set %s", zId));
  sqlite3_free(zId);
  return rc;
}

int fsw_update(writes_table *t, fsw_state *w, int argc, sqlite3_value **argv) {
  if (argc == 1) return fsw_delete(t, w, sqlite3_value_int64(argv[0]));
  if (argc != FLOW_SETS_NCOLUMN + 2) return SQLITE_ERROR;
  if (sqlite3_value_type(argv[0]) == SQLITE_NULL) return fsw_insert(t, argv + 2);
  return fsw_change(t, w, argv);
}
