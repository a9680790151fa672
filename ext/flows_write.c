/*
** flows_write.c: writes to provisioning_flows (writable=1).
**
** Usage:
**   CREATE VIRTUAL TABLE fl USING provisioning_flows(
**       source='https://graph.microsoft.com/beta', auth='env:GRAPH_TOKEN', writable=1);
**   INSERT INTO fl(flow_set_id, flow_type, creation_options)
**     VALUES ('9ab41255-...', 'administrativeUnit', '{"createBasedOnOrg":true}');
**   UPDATE fl SET create_unmatched_users = 0 WHERE id = '...';
**   DELETE FROM fl WHERE id = '...';
**
** How it works: each change is checked and queued (writes.h); the queue
** is sent at COMMIT (see flows.c's first comment for the requests):
**   INSERT  POST   .../{flow_set_id}/provisioningFlows, @odata.type from
**           flow_type and the columns given, or raw as the whole body;
**   UPDATE  PATCH  .../provisioningFlows/{id}, @odata.type and only the
**           columns that changed (Graph takes createUnmatchedUsers,
**           creationOptions and managementOptions);
**   DELETE  DELETE .../provisioningFlows/{id}.
**   UPDATE and DELETE need the row's id and flow set: the table's xRowid
**   hands each row read (flw_seen_add) until the transaction ends. A value
**   never goes into a message (it may be a password), and flw_secrets lists
**   the secret values of the queued bodies for the COMMIT to mask.
**
** Calls: writes.h (queue, JSON strings), flow_common.h (catalogue, column
** text, flow types), json.h, odata.h (percent-encoding), SQLite.
*/
#include "flows_write.h"

#include <string.h>

#include "flow_common.h"
#include "json.h"
#include "odata.h"

SQLITE_EXTENSION_INIT3

/* What xRowid saw of a row, for the UPDATE or DELETE that follows. */
struct flw_seen {
  sqlite3_int64 iRowid;
  char *zSet; /* the flow set's id */
  char *zRec; /* the object as read */
  int nRec;
};

void flw_seen_clear(flw_state *s) {
  for (int i = 0; i < s->nSeen; i++) {
    sqlite3_free(s->aSeen[i].zSet);
    sqlite3_free(s->aSeen[i].zRec);
  }
  sqlite3_free(s->aSeen);
  sqlite3_free(s->aHash);
  s->aSeen = 0;
  s->aHash = 0;
  s->nSeen = s->nSeenAlloc = s->nHash = 0;
}

static flw_seen *flw_seen_find(flw_state *s, sqlite3_int64 iRowid) {
  if (!s->nHash) return 0;
  unsigned h = (unsigned)((sqlite3_uint64)iRowid % (unsigned)s->nHash);
  while (s->aHash[h]) {
    flw_seen *p = &s->aSeen[s->aHash[h] - 1];
    if (p->iRowid == iRowid) return p;
    h = (h + 1) % (unsigned)s->nHash;
  }
  return 0;
}

static int flw_seen_rehash(flw_state *s, int nHash) {
  int *aNew = sqlite3_malloc64(sizeof(int) * (sqlite3_uint64)nHash);
  if (!aNew) return SQLITE_NOMEM;
  memset(aNew, 0, sizeof(int) * (size_t)nHash);
  for (int i = 0; i < s->nSeen; i++) {
    unsigned h = (unsigned)((sqlite3_uint64)s->aSeen[i].iRowid % (unsigned)nHash);
    while (aNew[h]) h = (h + 1) % (unsigned)nHash;
    aNew[h] = i + 1;
  }
  sqlite3_free(s->aHash);
  s->aHash = aNew;
  s->nHash = nHash;
  return SQLITE_OK;
}

int flw_seen_add(flw_state *s, sqlite3_int64 iRowid, const char *zSet, const char *zRec, size_t nRec) {
  flw_seen *p = flw_seen_find(s, iRowid);
  char *zS = sqlite3_mprintf("%s", zSet ? zSet : "");
  char *zR = sqlite3_malloc64(nRec + 1);
  if (!zS || !zR) {
    sqlite3_free(zS);
    sqlite3_free(zR);
    return SQLITE_NOMEM;
  }
  memcpy(zR, zRec, nRec);
  zR[nRec] = 0;
  if (p) {
    sqlite3_free(p->zSet);
    sqlite3_free(p->zRec);
  } else {
    if (s->nSeen >= s->nSeenAlloc) {
      int nNew = s->nSeenAlloc ? s->nSeenAlloc * 2 : 16;
      flw_seen *aNew = sqlite3_realloc64(s->aSeen, sizeof(flw_seen) * (sqlite3_uint64)nNew);
      if (!aNew) goto nomem;
      s->aSeen = aNew;
      s->nSeenAlloc = nNew;
    }
    if ((s->nSeen + 1) * 2 > s->nHash && flw_seen_rehash(s, s->nHash ? s->nHash * 2 : 64)) goto nomem;
    p = &s->aSeen[s->nSeen++];
    unsigned h = (unsigned)((sqlite3_uint64)iRowid % (unsigned)s->nHash);
    while (s->aHash[h]) h = (h + 1) % (unsigned)s->nHash;
    s->aHash[h] = s->nSeen;
    p->iRowid = iRowid;
  }
  p->zSet = zS;
  p->zRec = zR;
  p->nRec = (int)nRec;
  return SQLITE_OK;
nomem:
  sqlite3_free(zS);
  sqlite3_free(zR);
  return SQLITE_NOMEM;
}

/*
** Check pVal, a new value of writable column i, and append its body member
** ("name":value) to s. The message never holds the value (it may be a
** password). SQLITE_OK, or SQLITE_ERROR with the error set.
*/
static int fl_append_member(writes_table *t, sqlite3_str *s, int i, sqlite3_value *pVal) {
  const fl_column *col = &fl_flow_columns[i];
  int eType = sqlite3_value_type(pVal);
  sqlite3_str_appendchar(s, 1, ',');
  writes_json_string(s, col->zProp, (int)strlen(col->zProp));
  sqlite3_str_appendchar(s, 1, ':');
  if (eType == SQLITE_NULL) {
    sqlite3_str_appendall(s, "null");
    return SQLITE_OK;
  }
  switch (col->eKind) {
    case FL_KIND_BOOL: {
      int nt = sqlite3_value_numeric_type(pVal);
      sqlite3_int64 x = sqlite3_value_int64(pVal);
      if (nt != SQLITE_INTEGER || (x != 0 && x != 1)) {
        return prov_vtab_error(&t->base, sqlite3_mprintf("provisioning_flows: %s must be 0 or 1 (or NULL)", col->zName));
      }
      sqlite3_str_appendall(s, x ? "true" : "false");
      return SQLITE_OK;
    }
    case FL_KIND_JSON: {
      const char *z = (const char *)sqlite3_value_text(pVal);
      size_t n = (size_t)sqlite3_value_bytes(pVal), errOff;
      const char *zWhy;
      int bObject = 0;
      if (!z) return SQLITE_NOMEM;
      if (pj_check_one(z, n, &errOff, &zWhy, &bObject) != PJ_OK) {
        return prov_vtab_error(&t->base, sqlite3_mprintf("provisioning_flows: %s is not valid JSON (%s at byte %lld)", col->zName,
                                               zWhy, (long long)errOff));
      }
      if (!bObject) {
        return prov_vtab_error(&t->base, sqlite3_mprintf("provisioning_flows: %s must be a JSON object (or NULL)", col->zName));
      }
      char *zMin = sqlite3_malloc64(n + 1);
      if (!zMin) return SQLITE_NOMEM;
      int nMin = pj_minify(z, n, zMin);
      sqlite3_str_append(s, zMin, nMin);
      sqlite3_free(zMin);
      return SQLITE_OK;
    }
    default: {
      const char *z = (const char *)sqlite3_value_text(pVal);
      if (!z) return SQLITE_NOMEM;
      writes_json_string(s, z, sqlite3_value_bytes(pVal));
      return SQLITE_OK;
    }
  }
}

/* Check a JSON text given as raw: one object whose @odata.type names a flow type. */
static int fl_check_raw(writes_table *t, const char *z, size_t n, int *piType) {
  size_t errOff;
  const char *zWhy;
  int bObject = 0;
  int r = pj_check_one(z, n, &errOff, &zWhy, &bObject);
  if (r != PJ_OK || !bObject) {
    return prov_vtab_error(&t->base, sqlite3_mprintf("provisioning_flows: raw must be one JSON object (%s at byte %lld)",
                                           r == PJ_OK ? "not an object" : zWhy, r == PJ_OK ? 0LL : (long long)errOff));
  }
  pj_doc d;
  memset(&d, 0, sizeof(d));
  int rc = pj_parse(&d, z, n);
  int iType = -1;
  if (rc == SQLITE_OK) {
    int i = pj_find(&d, 0, "@odata.type", 11);
    if (i >= 0 && d.aTok[i].type == JSMN_STRING) {
      int bOom = 0;
      char *zT = fl_token_string(&d, i, &bOom);
      if (bOom) rc = SQLITE_NOMEM;
      if (zT) iType = fl_odata_type_index(zT, (int)strlen(zT));
      sqlite3_free(zT);
    }
  }
  pj_doc_free(&d);
  if (rc) return rc == SQLITE_NOMEM ? rc : SQLITE_ERROR;
  if (iType < 0) {
    return prov_vtab_error(&t->base, sqlite3_mprintf("provisioning_flows: raw must carry \"@odata.type\": "
                                           "\"" FL_TYPE_PREFIX "<type>" FL_TYPE_SUFFIX "\" with <type> one of "
                                           "administrativeUnit, classGroup, securityGroup, user"));
  }
  *piType = iType;
  return SQLITE_OK;
}

/* The value is not repeated: a password typed into the wrong column must not show. */
static int fl_bad_type(writes_table *t) {
  return prov_vtab_error(&t->base, sqlite3_mprintf("provisioning_flows: flow_type must be one of administrativeUnit, classGroup, "
                                         "securityGroup, user (case-sensitive)"));
}

static int fl_insert(writes_table *t, sqlite3_value **aCol) {
  static const int aBodyCol[] = {FLOWS_COLUMN_READINESS_STATUS, FLOWS_COLUMN_CREATE_UNMATCHED_USERS,
                                 FLOWS_COLUMN_MANAGEMENT_OPTIONS, FLOWS_COLUMN_CREATION_OPTIONS,
                                 FLOWS_COLUMN_CONFIGURATION};
  int iType = -1, rc;
  char *zBody = 0;
  for (int i = 0; i < FLOWS_NCOLUMN; i++) {
    if (fl_flow_columns[i].bReadOnly && sqlite3_value_type(aCol[i]) != SQLITE_NULL) {
      return prov_vtab_error(&t->base, sqlite3_mprintf("provisioning_flows: %s is read-only (Graph sets it): leave it out of the "
                                             "INSERT%s",
                                             fl_flow_columns[i].zName,
                                             i == FLOWS_COLUMN_ID ? " and read it with provisioning_last_insert_id() "
                                                                    "after COMMIT"
                                                                  : ""));
    }
  }
  if (sqlite3_value_type(aCol[FLOWS_COLUMN_FLOW_SET_ID]) == SQLITE_NULL) {
    return prov_vtab_error(&t->base, sqlite3_mprintf("provisioning_flows: flow_set_id is required: the INSERT must name the flow "
                                           "set (see provisioning_flow_sets)"));
  }
  const char *zSet = (const char *)sqlite3_value_text(aCol[FLOWS_COLUMN_FLOW_SET_ID]);
  if (!zSet) return SQLITE_NOMEM;
  if (sqlite3_value_type(aCol[FLOWS_COLUMN_FLOW_TYPE]) != SQLITE_NULL) {
    const char *zT = (const char *)sqlite3_value_text(aCol[FLOWS_COLUMN_FLOW_TYPE]);
    if (!zT) return SQLITE_NOMEM; /* not "flow_type must be one of ..." */
    iType = fl_type_index(zT, sqlite3_value_bytes(aCol[FLOWS_COLUMN_FLOW_TYPE]));
    if (iType < 0) return fl_bad_type(t);
  }
  if (sqlite3_value_type(aCol[FLOWS_COLUMN_RAW]) != SQLITE_NULL) {
    for (size_t k = 0; k < sizeof(aBodyCol) / sizeof(aBodyCol[0]); k++) {
      if (sqlite3_value_type(aCol[aBodyCol[k]]) != SQLITE_NULL) {
        return prov_vtab_error(&t->base, sqlite3_mprintf("provisioning_flows: INSERT either raw (the whole body) or columns, not "
                                               "both (%s was given with raw)",
                                               fl_flow_columns[aBodyCol[k]].zName));
      }
    }
    const char *z = (const char *)sqlite3_value_text(aCol[FLOWS_COLUMN_RAW]);
    if (!z) return SQLITE_NOMEM;
    int iRawType = -1;
    rc = fl_check_raw(t, z, (size_t)sqlite3_value_bytes(aCol[FLOWS_COLUMN_RAW]), &iRawType);
    if (rc) return rc;
    if (iType >= 0 && iType != iRawType) {
      return prov_vtab_error(&t->base, sqlite3_mprintf("provisioning_flows: flow_type '%s' differs from the @odata.type of raw "
                                             "(%s)",
                                             fl_flow_types[iType], fl_flow_types[iRawType]));
    }
    iType = iRawType;
    zBody = sqlite3_mprintf("%s", z);
    if (!zBody) return SQLITE_NOMEM;
  } else {
    if (iType < 0) {
      return prov_vtab_error(&t->base,
                          sqlite3_mprintf("provisioning_flows: flow_type is required (administrativeUnit, classGroup, "
                                          "securityGroup or user), or raw with its @odata.type"));
    }
    sqlite3_str *s = sqlite3_str_new(0);
    sqlite3_str_appendf(s, "{\"@odata.type\":\"" FL_TYPE_PREFIX "%s" FL_TYPE_SUFFIX "\"", fl_flow_types[iType]);
    for (size_t k = 0; k < sizeof(aBodyCol) / sizeof(aBodyCol[0]); k++) {
      int i = aBodyCol[k];
      if (sqlite3_value_type(aCol[i]) == SQLITE_NULL) continue;
      rc = fl_append_member(t, s, i, aCol[i]);
      if (rc) {
        sqlite3_free(sqlite3_str_finish(s));
        return rc;
      }
    }
    sqlite3_str_appendchar(s, 1, '}');
    zBody = sqlite3_str_finish(s);
    if (!zBody) return SQLITE_NOMEM;
  }
  t->nInsert++;
  return writes_add(&t->writes, "POST", fl_flow_path(zSet, 0), zBody,
                    sqlite3_mprintf("INSERT of flow %d (%s)", t->nInsert, fl_flow_types[iType]));
}

/*
** Is the new value pVal of column i the same as the row's text form zOld?
** 1 same, 0 changed, -1 out of memory (never taken for "changed": that
** would PATCH a column nobody set, or refuse an UPDATE of id).
*/
static int fl_same(int i, sqlite3_value *pVal, const char *zOld) {
  int t = sqlite3_value_type(pVal);
  if (t == SQLITE_NULL || !zOld) return t == SQLITE_NULL && !zOld;
  const fl_column *col = &fl_flow_columns[i];
  if (col->eKind == FL_KIND_BOOL) {
    return sqlite3_value_numeric_type(pVal) == SQLITE_INTEGER && (zOld[0] == '0' || zOld[0] == '1') &&
           zOld[1] == 0 && sqlite3_value_int64(pVal) == zOld[0] - '0';
  }
  const char *z = (const char *)sqlite3_value_text(pVal);
  if (!z) return -1;
  size_t n = (size_t)sqlite3_value_bytes(pVal);
  if (col->eKind == FL_KIND_JSON || col->eKind == FL_KIND_RAW) {
    size_t errOff;
    const char *zWhy;
    if (pj_check_one(z, n, &errOff, &zWhy, 0) != PJ_OK) return 0;
    char *zMin = sqlite3_malloc64(n + 1);
    if (!zMin) return -1;
    int nMin = pj_minify(z, n, zMin);
    int bSame = (size_t)nMin == strlen(zOld) && memcmp(zMin, zOld, (size_t)nMin) == 0;
    sqlite3_free(zMin);
    return bSame;
  }
  return n == strlen(zOld) && memcmp(z, zOld, n) == 0;
}

static int fl_update(writes_table *t, flw_state *pSeen, sqlite3_value **argv) {
  sqlite3_value **aCol = argv + 2;
  sqlite3_int64 iRowid = sqlite3_value_int64(argv[0]);
  int aChanged[FLOWS_NCOLUMN], nChanged = 0, rc = SQLITE_OK;
  char *zOld[FLOWS_NCOLUMN];
  pj_doc d;
  if (sqlite3_value_type(argv[1]) == SQLITE_NULL || sqlite3_value_int64(argv[1]) != iRowid) {
    return prov_vtab_error(&t->base, sqlite3_mprintf("provisioning_flows: the rowid is a hash of the id and cannot be set"));
  }
  flw_seen *e = flw_seen_find(pSeen, iRowid);
  if (!e) {
    return prov_vtab_error(&t->base, sqlite3_mprintf("provisioning_flows: the flow to UPDATE was not read in this statement"));
  }
  memset(&d, 0, sizeof(d));
  memset(zOld, 0, sizeof(zOld));
  rc = pj_parse(&d, e->zRec, (size_t)e->nRec);
  if (rc) return rc == SQLITE_NOMEM ? rc : SQLITE_ERROR;
  for (int i = 0; i < FLOWS_NCOLUMN && rc == SQLITE_OK; i++) {
    aChanged[i] = 0;
    if (sqlite3_value_nochange(aCol[i])) continue;
    rc = fl_column_text(fl_flow_columns, &d, e->zSet, i, &zOld[i]);
    int bSame = rc == SQLITE_OK ? fl_same(i, aCol[i], zOld[i]) : 1;
    if (bSame < 0) rc = SQLITE_NOMEM;
    if (bSame == 0) {
      aChanged[i] = 1;
      nChanged++;
    }
  }
  if (rc) goto done;
  for (int i = 0; i < FLOWS_NCOLUMN; i++) {
    if (!aChanged[i]) continue;
    if (fl_flow_columns[i].bReadOnly || i == FLOWS_COLUMN_FLOW_SET_ID || i == FLOWS_COLUMN_FLOW_TYPE) {
      rc = prov_vtab_error(&t->base, sqlite3_mprintf("provisioning_flows: %s cannot be changed by UPDATE%s", fl_flow_columns[i].zName,
                                           i == FLOWS_COLUMN_FLOW_SET_ID || i == FLOWS_COLUMN_FLOW_TYPE
                                               ? " (DELETE the flow and INSERT a new one)"
                                               : " (Graph sets it)"));
      goto done;
    }
    if (i == FLOWS_COLUMN_RAW) {
      rc = prov_vtab_error(&t->base, sqlite3_mprintf("provisioning_flows: raw cannot be updated: set the columns instead"));
      goto done;
    }
    if (i != FLOWS_COLUMN_CREATE_UNMATCHED_USERS && i != FLOWS_COLUMN_CREATION_OPTIONS &&
        i != FLOWS_COLUMN_MANAGEMENT_OPTIONS) { /* readiness_status, configuration: not in the update API */
      rc = prov_vtab_error(&t->base, sqlite3_mprintf("provisioning_flows: %s cannot be changed by UPDATE: Graph's update of a "
                                           "flow takes only create_unmatched_users, creation_options and "
                                           "management_options",
                                           fl_flow_columns[i].zName));
      goto done;
    }
  }
  if (nChanged == 0) goto done;
  {
    int iT = pj_find(&d, 0, "@odata.type", 11);
    int bOom = 0;
    char *zType = (iT >= 0 && d.aTok[iT].type == JSMN_STRING) ? fl_token_string(&d, iT, &bOom) : 0;
    if (bOom) {
      rc = SQLITE_NOMEM;
      goto done;
    }
    if (!zType || !zOld[FLOWS_COLUMN_ID]) {
      sqlite3_free(zType);
      rc = prov_vtab_error(&t->base, sqlite3_mprintf("provisioning_flows: the flow as read has no %s: cannot PATCH it",
                                           zType ? "id" : "@odata.type"));
      goto done;
    }
    sqlite3_str *s = sqlite3_str_new(0);
    sqlite3_str_appendall(s, "{\"@odata.type\":");
    writes_json_string(s, zType, (int)strlen(zType));
    sqlite3_free(zType);
    for (int i = 0; i < FLOWS_NCOLUMN && rc == SQLITE_OK; i++) {
      if (aChanged[i]) rc = fl_append_member(t, s, i, aCol[i]);
    }
    sqlite3_str_appendchar(s, 1, '}');
    char *zBody = sqlite3_str_finish(s);
    if (rc) {
      sqlite3_free(zBody);
      goto done;
    }
    if (!zBody) {
      rc = SQLITE_NOMEM;
      goto done;
    }
    rc = writes_add(&t->writes, "PATCH", fl_flow_path(e->zSet, zOld[FLOWS_COLUMN_ID]), zBody,
                    sqlite3_mprintf("UPDATE of flow %s", zOld[FLOWS_COLUMN_ID]));
  }
done:
  for (int i = 0; i < FLOWS_NCOLUMN; i++) sqlite3_free(zOld[i]);
  pj_doc_free(&d);
  return rc;
}

static int fl_delete(writes_table *t, flw_state *pSeen, sqlite3_int64 iRowid) {
  flw_seen *e = flw_seen_find(pSeen, iRowid);
  if (!e) {
    return prov_vtab_error(&t->base, sqlite3_mprintf("provisioning_flows: the flow to DELETE was not read in this statement"));
  }
  pj_doc d;
  memset(&d, 0, sizeof(d));
  char *zId = 0;
  int rc = pj_parse(&d, e->zRec, (size_t)e->nRec);
  if (rc == SQLITE_OK) rc = fl_column_text(fl_flow_columns, &d, e->zSet, FLOWS_COLUMN_ID, &zId);
  pj_doc_free(&d);
  if (rc) return rc == SQLITE_NOMEM ? rc : SQLITE_ERROR;
  if (!zId) {
    return prov_vtab_error(&t->base, sqlite3_mprintf("provisioning_flows: the flow as read has no id: cannot DELETE it"));
  }
  rc = writes_add(&t->writes, "DELETE", fl_flow_path(e->zSet, zId), 0, sqlite3_mprintf("DELETE of flow %s", zId));
  sqlite3_free(zId);
  return rc;
}

int flw_update(writes_table *t, flw_state *pSeen, int argc, sqlite3_value **argv, sqlite_int64 *pRowid) {
  if (argc == 1) return fl_delete(t, pSeen, sqlite3_value_int64(argv[0]));
  if (argc != FLOWS_NCOLUMN + 2) return SQLITE_ERROR;
  if (sqlite3_value_type(argv[0]) == SQLITE_NULL) {
    *pRowid = 0; /* the id is Graph's to give: provisioning_last_insert_id() after COMMIT */
    return fl_insert(t, argv + 2);
  }
  return fl_update(t, pSeen, argv);
}

/* Every password (or secret) string value in the JSON body z, appended to *pa. */
int flw_secrets(const char *z, char ***pa, int *pn) {
  pj_doc d;
  memset(&d, 0, sizeof(d));
  size_t n = strlen(z), end = 0, errOff = 0;
  const char *zWhy;
  if (pj_value_end(z, n, &end, &errOff, &zWhy) != PJ_OK) return SQLITE_OK;
  int rc = pj_parse(&d, z, n);
  if (rc) return rc == SQLITE_NOMEM ? rc : SQLITE_OK;
  for (int i = 1; i + 1 < d.nTok && rc == SQLITE_OK; i++) {
    const jsmntok_t *k = &d.aTok[i];
    if (k->type != JSMN_STRING || k->parent < 0 || d.aTok[k->parent].type != JSMN_OBJECT) continue;
    int nKey = k->end - k->start;
    int bSecret = 0;
    for (int j = 0; j + 6 <= nKey && !bSecret; j++) {
      bSecret = sqlite3_strnicmp(z + k->start + j, "secret", 6) == 0 ||
                (j + 8 <= nKey && sqlite3_strnicmp(z + k->start + j, "password", 8) == 0);
    }
    const jsmntok_t *val = &d.aTok[i + 1];
    if (!bSecret || val->type != JSMN_STRING || val->end <= val->start) continue;
    int bOom = 0;
    char *zRaw = sqlite3_mprintf("%.*s", val->end - val->start, z + val->start);
    char *zPlain = fl_token_string(&d, i + 1, &bOom);
    char **aNew = sqlite3_realloc64(*pa, sizeof(char *) * (sqlite3_uint64)(*pn + 2));
    if (!zRaw || !zPlain || !aNew) {
      sqlite3_free(zRaw);
      sqlite3_free(zPlain);
      if (aNew) *pa = aNew;
      rc = SQLITE_NOMEM;
      break;
    }
    *pa = aNew;
    aNew[(*pn)++] = zPlain;
    if (strcmp(zRaw, zPlain) != 0) {
      aNew[(*pn)++] = zRaw;
    } else {
      sqlite3_free(zRaw);
    }
  }
  pj_doc_free(&d);
  return rc;
}
