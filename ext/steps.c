/*
** steps.c: the table-valued functions provisioning_steps(json) and
** provisioning_modified_properties(json), which unnest the two arrays
** Graph nests inside each provisioning event.
**
** Usage:
**
**   SELECT s.step, s.name, s.status
**     FROM provisioning_steps(readfile('tests/data/seed003_failure.json')) s;
**   SELECT e.id, s.name, s.description
**     FROM ev e, provisioning_steps(e.provisioning_steps) s
**    WHERE s.status = 'failure';
**   SELECT m.name, m.old_value, m.new_value
**     FROM ev e, provisioning_modified_properties(e.raw) m;
**   SELECT * FROM provisioning_steps(json('[{"name":"a"}]'));
**   SELECT * FROM provisioning_steps(e.raw -> '$.provisioningSteps');
**
** The declared schemas (position first, one column per member, then the
** HIDDEN argument column):
**
**   CREATE TABLE provisioning_steps(step INTEGER, name VARCHAR(255),
**     step_type VARCHAR(32), status VARCHAR(32), description TEXT,
**     details TEXT, json HIDDEN)
**       step        0-based position in the array (also the rowid)
**       name        name
**       step_type   provisioningStepType
**       status      status
**       description description
**       details     details, the JSON text of the bag as in the input
**
**   CREATE TABLE provisioning_modified_properties(position INTEGER,
**     name VARCHAR(255), old_value VARCHAR(255), new_value VARCHAR(255),
**     json HIDDEN)
**       position    0-based position in the array (also the rowid)
**       name        displayName
**       old_value   oldValue
**       new_value   newValue
**
** The argument is a provisioningSteps (modifiedProperties) array, or a
** whole event object, in which case its top-level provisioningSteps
** (modifiedProperties) member is used. Text or BLOB (read as UTF-8 text),
** so the output of json(), -> and readfile() all work. Both modules are
** eponymous-only and SQLITE_VTAB_INNOCUOUS: they read nothing but their
** argument, so they may be used in views and triggers.
**
** Behaviour on other input (each case is tested in tests/sql/steps.sql):
**   SQL NULL, JSON null, an object without the member, or the member
**     present but null                      -> no rows
**   text that is not exactly one JSON value -> error naming the byte
**     offset (0-based), line and column, and the reason
**   nesting deeper than PJ_MAX_DEPTH (512)  -> the same error
**   a top-level string, number or boolean   -> error
**   the member present but not an array     -> error
**   an array element that is not an object  -> error naming its position
**     (silently skipping it would hide a wrong argument)
**   a member missing from an element        -> NULL in that column
**   a JSON null member                      -> NULL
**   a number or boolean member              -> its JSON text (TEXT)
**   an object or array member               -> its JSON text, as in input
**   a string member                         -> the string, unescaped to
**     UTF-8 (\uXXXX and surrogate pairs); a lone or misordered surrogate
**     is an error naming the byte offset, raised when that column is read
**   duplicate member names                  -> the first one wins
** Member names are matched byte for byte as Graph writes them (a name
** spelt with \u escapes does not match). Raw bytes of strings are passed
** through as they are (no UTF-8 validation beyond what the escapes make).
**
** How it works: xFilter copies the argument (SQLite may reuse the
** argument's register once xFilter returns) and validates the whole text
** once with pj_value_end(), which neither recurses nor allocates, so bad
** JSON fails before any row. Afterwards the text is known to be valid and
** is only skipped through (pj_text_value_end(): bracket counting, SSE2
** scans over strings): along the top-level members of an event object to the
** array, then one element per xNext. The current element alone is
** tokenised with jsmn (pj_parse() into one pj_doc reused for every row),
** lazily when a member column is first read, so memory is the input copy
** plus the largest single element, whatever the number of elements.
** Calls: json.c (pj_parse and the walkers) only.
*/
#include "steps.h"

#include <stdarg.h>
#include <string.h>

#include "json.h"

SQLITE_EXTENSION_INIT3

/* Columns of provisioning_steps, in the order of its CREATE TABLE. */
#define STEPS_SCHEMA                                                                \
  "CREATE TABLE x(step INTEGER, name VARCHAR(255), step_type VARCHAR(32), "       \
  "status VARCHAR(32), description TEXT, details TEXT, json HIDDEN)"
#define STEPS_COLUMN_STEP 0
#define STEPS_COLUMN_NAME 1
#define STEPS_COLUMN_STEP_TYPE 2
#define STEPS_COLUMN_STATUS 3
#define STEPS_COLUMN_DESCRIPTION 4
#define STEPS_COLUMN_DETAILS 5
#define STEPS_COLUMN_JSON 6

/* Columns of provisioning_modified_properties. */
#define MODPROP_SCHEMA                                                              \
  "CREATE TABLE x(position INTEGER, name VARCHAR(255), old_value VARCHAR(255), "  \
  "new_value VARCHAR(255), json HIDDEN)"
#define MODPROP_COLUMN_POSITION 0
#define MODPROP_COLUMN_NAME 1
#define MODPROP_COLUMN_OLD_VALUE 2
#define MODPROP_COLUMN_NEW_VALUE 3
#define MODPROP_COLUMN_JSON 4

/* Most member columns a kind has (column 0 is the position). */
#define STEPS_MAX_KEYS 5

/*
** What distinguishes the two functions. Column 0 is the position, columns
** 1..nKey read azKey[0..nKey) from each element, column nKey+1 is the
** hidden argument.
*/
typedef struct steps_kind {
  const char *zName;   /* SQL name, also the prefix of error messages */
  const char *zMember; /* the event member that holds the array */
  const char *zSchema;
  int nKey;
  const char *azKey[STEPS_MAX_KEYS];
} steps_kind;

static const steps_kind stepsKind = {
    "provisioning_steps",
    "provisioningSteps",
    STEPS_SCHEMA,
    5,
    {"name", "provisioningStepType", "status", "description", "details"}};

static const steps_kind modpropKind = {"provisioning_modified_properties",
                                       "modifiedProperties",
                                       MODPROP_SCHEMA,
                                       3,
                                       {"displayName", "oldValue", "newValue"}};

typedef struct steps_vtab {
  sqlite3_vtab base;
  const steps_kind *pKind;
} steps_vtab;

typedef struct steps_cursor {
  sqlite3_vtab_cursor base;
  char *zJson;         /* copy of the argument, NUL-terminated */
  size_t nJson;        /* bytes in zJson */
  size_t iNext;        /* where to look for the next element */
  size_t iElem, nElem; /* the current element's span */
  sqlite3_int64 iRow;  /* the current element's position */
  int bEof;
  int bParsed;                /* doc holds the current element */
  int aTok[STEPS_MAX_KEYS];   /* value token of each member column, or -1 */
  pj_doc doc;                 /* tokens of the current element, reused */
} steps_cursor;

/* Replace the vtab's error message (printf-style). */
static void steps_set_error(sqlite3_vtab *pVtab, const char *zFmt, ...) {
  va_list ap;
  va_start(ap, zFmt);
  sqlite3_free(pVtab->zErrMsg);
  pVtab->zErrMsg = sqlite3_vmprintf(zFmt, ap);
  va_end(ap);
}

/* "a string", "an object", ... for the JSON value starting with c. */
static const char *steps_type_name(char c) {
  switch (c) {
    case '{': return "an object";
    case '[': return "an array";
    case '"': return "a string";
    case 't':
    case 'f': return "a boolean";
    case 'n': return "null";
    default: return "a number";
  }
}

/* Error naming byte offset off of the cursor's text, with line and column. */
static int steps_error_at(steps_cursor *pCur, size_t off, const char *zWhat, const char *zWhy) {
  steps_vtab *pTab = (steps_vtab *)pCur->base.pVtab;
  int line, col;
  pj_line_col(pCur->zJson, off, &line, &col);
  steps_set_error(&pTab->base, "%s: %s at byte offset %llu (line %d, column %d): %s", pTab->pKind->zName,
                  zWhat, (unsigned long long)off, line, col, zWhy);
  return pTab->base.zErrMsg ? SQLITE_ERROR : SQLITE_NOMEM;
}

static int stepsConnect(sqlite3 *db, void *pAux, int argc, const char *const *argv, sqlite3_vtab **ppVtab,
                        char **pzErr) {
  const steps_kind *pKind = (const steps_kind *)pAux;
  int rc = sqlite3_declare_vtab(db, pKind->zSchema);
  if (rc != SQLITE_OK) return rc;
  steps_vtab *pTab = sqlite3_malloc64(sizeof(*pTab));
  if (!pTab) return SQLITE_NOMEM;
  memset(pTab, 0, sizeof(*pTab));
  pTab->pKind = pKind;
  sqlite3_vtab_config(db, SQLITE_VTAB_INNOCUOUS);
  *ppVtab = &pTab->base;
  return SQLITE_OK;
}

static int stepsDisconnect(sqlite3_vtab *pVtab) {
  sqlite3_free(pVtab);
  return SQLITE_OK;
}

static int stepsOpen(sqlite3_vtab *pVtab, sqlite3_vtab_cursor **ppCursor) {
  steps_cursor *pCur = sqlite3_malloc64(sizeof(*pCur));
  if (!pCur) return SQLITE_NOMEM;
  memset(pCur, 0, sizeof(*pCur));
  pCur->bEof = 1;
  *ppCursor = &pCur->base;
  return SQLITE_OK;
}

static int stepsClose(sqlite3_vtab_cursor *cur) {
  steps_cursor *pCur = (steps_cursor *)cur;
  sqlite3_free(pCur->zJson);
  pj_doc_free(&pCur->doc);
  sqlite3_free(pCur);
  return SQLITE_OK;
}

/*
** Load the element at or after pCur->iNext as the current row, or set
** bEof at the closing ']'. The text is valid JSON and iNext is inside the
** array, just after '[' or ','.
*/
static int steps_load_element(steps_cursor *pCur) {
  const char *z = pCur->zJson;
  size_t n = pCur->nJson;
  size_t i = pj_skip_ws(z, n, pCur->iNext);
  pCur->bParsed = 0;
  if (i >= n || z[i] == ']') {
    pCur->bEof = 1;
    return SQLITE_OK;
  }
  size_t end = pj_text_value_end(pCur->zJson, pCur->nJson, i);
  pCur->iElem = i;
  pCur->nElem = end - i;
  size_t j = pj_skip_ws(z, n, end);
  pCur->iNext = (j < n && z[j] == ',') ? j + 1 : j;
  if (z[i] != '{') {
    steps_vtab *pTab = (steps_vtab *)pCur->base.pVtab;
    char zWhat[96];
    sqlite3_snprintf(sizeof(zWhat), zWhat, "element %lld of the %s array", pCur->iRow, pTab->pKind->zMember);
    char zWhy[32];
    sqlite3_snprintf(sizeof(zWhy), zWhy, "%s, not an object", steps_type_name(z[i]));
    return steps_error_at(pCur, i, zWhat, zWhy);
  }
  return SQLITE_OK;
}

/*
** Find the array in the validated text: the text itself, or the member
** of a top-level object. Sets iNext just inside the array, or bEof.
*/
static int steps_find_array(steps_cursor *pCur) {
  steps_vtab *pTab = (steps_vtab *)pCur->base.pVtab;
  const steps_kind *pKind = pTab->pKind;
  const char *z = pCur->zJson;
  size_t n = pCur->nJson;
  size_t nMember = strlen(pKind->zMember);
  size_t i = pj_skip_ws(z, n, 0);
  if (z[i] == '[') {
    pCur->iNext = i + 1;
    return SQLITE_OK;
  }
  if (z[i] == 'n') return SQLITE_OK; /* JSON null: no rows */
  if (z[i] != '{') {
    steps_set_error(&pTab->base, "%s: expected a %s array or an event object, got %s", pKind->zName,
                    pKind->zMember, steps_type_name(z[i]));
    return SQLITE_ERROR;
  }
  i = pj_skip_ws(z, n, i + 1);
  while (i < n && z[i] == '"') {
    size_t iKey = i + 1;
    size_t iKeyEnd = pj_text_string_end(z, n, i) - 1; /* the closing quote */
    size_t iVal = pj_skip_ws(z, n, pj_skip_ws(z, n, iKeyEnd + 1) + 1); /* past ':' */
    if (iKeyEnd - iKey == nMember && memcmp(z + iKey, pKind->zMember, nMember) == 0) {
      if (z[iVal] == '[') {
        pCur->iNext = iVal + 1;
        pCur->bEof = 0;
        return SQLITE_OK;
      }
      if (z[iVal] == 'n') return SQLITE_OK; /* "member": null */
      char zWhat[64];
      sqlite3_snprintf(sizeof(zWhat), zWhat, "member %s", pKind->zMember);
      char zWhy[64];
      sqlite3_snprintf(sizeof(zWhy), zWhy, "%s, not an array", steps_type_name(z[iVal]));
      return steps_error_at(pCur, iVal, zWhat, zWhy);
    }
    i = pj_skip_ws(z, n, pj_text_value_end(z, n, iVal));
    if (i < n && z[i] == ',') i = pj_skip_ws(z, n, i + 1);
  }
  return SQLITE_OK; /* no such member: no rows */
}

/*
** idxNum is 1 when argv[0] holds the argument (an EQ constraint on the
** hidden json column), 0 when the function was called without one.
*/
static int stepsFilter(sqlite3_vtab_cursor *cur, int idxNum, const char *idxStr, int argc, sqlite3_value **argv) {
  steps_cursor *pCur = (steps_cursor *)cur;
  steps_vtab *pTab = (steps_vtab *)cur->pVtab;
  const char *zName = pTab->pKind->zName;
  sqlite3_free(pCur->zJson);
  pCur->zJson = 0;
  pCur->nJson = 0;
  pCur->bEof = 1;
  pCur->bParsed = 0;
  pCur->iRow = 0;
  pCur->iNext = 0;
  if (idxNum == 0 || argc < 1) {
    steps_set_error(&pTab->base, "%s: missing argument: call it as %s(json)", zName, zName);
    return SQLITE_ERROR;
  }
  int eType = sqlite3_value_type(argv[0]);
  if (eType == SQLITE_NULL) return SQLITE_OK;
  const char *zIn;
  if (eType == SQLITE_BLOB) {
    zIn = (const char *)sqlite3_value_blob(argv[0]);
  } else {
    zIn = (const char *)sqlite3_value_text(argv[0]);
  }
  int nIn = sqlite3_value_bytes(argv[0]);
  if (!zIn && nIn > 0) return SQLITE_NOMEM;
  pCur->zJson = sqlite3_malloc64((sqlite3_uint64)nIn + 1);
  if (!pCur->zJson) return SQLITE_NOMEM;
  if (nIn > 0) memcpy(pCur->zJson, zIn, (size_t)nIn);
  pCur->zJson[nIn] = 0;
  pCur->nJson = (size_t)nIn;

  size_t end = 0, off = 0;
  const char *zWhy = 0;
  int rc = pj_value_end(pCur->zJson, pCur->nJson, &end, &off, &zWhy);
  if (rc == PJ_MORE) return steps_error_at(pCur, pCur->nJson, "invalid JSON", "unexpected end of input");
  if (rc != PJ_OK) return steps_error_at(pCur, off, "invalid JSON", zWhy ? zWhy : "syntax error");
  off = pj_skip_ws(pCur->zJson, pCur->nJson, end);
  if (off < pCur->nJson) return steps_error_at(pCur, off, "invalid JSON", "unexpected text after the value");

  rc = steps_find_array(pCur);
  if (rc != SQLITE_OK || pCur->iNext == 0) return rc;
  pCur->bEof = 0;
  return steps_load_element(pCur);
}

static int stepsNext(sqlite3_vtab_cursor *cur) {
  steps_cursor *pCur = (steps_cursor *)cur;
  pCur->iRow++;
  return steps_load_element(pCur);
}

static int stepsEof(sqlite3_vtab_cursor *cur) { return ((steps_cursor *)cur)->bEof; }

static int stepsRowid(sqlite3_vtab_cursor *cur, sqlite_int64 *pRowid) {
  *pRowid = ((steps_cursor *)cur)->iRow;
  return SQLITE_OK;
}

/* Tokenise the current element and find each member column's value. */
static int steps_parse_element(steps_cursor *pCur) {
  const steps_kind *pKind = ((steps_vtab *)pCur->base.pVtab)->pKind;
  int rc = pj_parse(&pCur->doc, pCur->zJson + pCur->iElem, pCur->nElem);
  if (rc != SQLITE_OK) return rc;
  const pj_doc *d = &pCur->doc;
  for (int k = 0; k < pKind->nKey; k++) pCur->aTok[k] = -1;
  if (d->nTok < 1 || d->aTok[0].type != JSMN_OBJECT) return SQLITE_ERROR;
  int nMember = d->aTok[0].size;
  int t = 1;
  for (int m = 0; m < nMember && t + 1 < d->nTok; m++) {
    const jsmntok_t *pKey = &d->aTok[t];
    int nKey = pKey->end - pKey->start;
    for (int k = 0; k < pKind->nKey; k++) {
      if (pCur->aTok[k] < 0 && (int)strlen(pKind->azKey[k]) == nKey &&
          memcmp(d->z + pKey->start, pKind->azKey[k], (size_t)nKey) == 0) {
        pCur->aTok[k] = t + 1;
        break;
      }
    }
    t = pj_skip(d, t + 1);
  }
  pCur->bParsed = 1;
  return SQLITE_OK;
}

/* The SQL value of token t of the current element (see the top comment). */
static void steps_result_token(sqlite3_context *ctx, steps_cursor *pCur, int t) {
  const jsmntok_t *pTok = &pCur->doc.aTok[t];
  const char *z = pCur->doc.z + pTok->start;
  int n = pTok->end - pTok->start;
  if (pTok->type == JSMN_PRIMITIVE && z[0] == 'n') {
    sqlite3_result_null(ctx);
    return;
  }
  if (pTok->type != JSMN_STRING || !pj_has_escape(z, (size_t)n)) {
    sqlite3_result_text(ctx, z, n, SQLITE_TRANSIENT);
    return;
  }
  char *zOut = sqlite3_malloc64((sqlite3_uint64)n + 1);
  if (!zOut) {
    sqlite3_result_error_nomem(ctx);
    return;
  }
  size_t off = 0;
  int nOut = pj_unescape(z, (size_t)n, zOut, &off);
  if (nOut < 0) {
    sqlite3_free(zOut);
    size_t at = pCur->iElem + (size_t)pTok->start + off;
    int line, col;
    pj_line_col(pCur->zJson, at, &line, &col);
    char *zErr = sqlite3_mprintf(
        "%s: invalid string escape at byte offset %llu (line %d, column %d): lone or misordered UTF-16 surrogate",
        ((steps_vtab *)pCur->base.pVtab)->pKind->zName, (unsigned long long)at, line, col);
    if (!zErr) {
      sqlite3_result_error_nomem(ctx);
      return;
    }
    sqlite3_result_error(ctx, zErr, -1);
    sqlite3_free(zErr);
    return;
  }
  zOut[nOut] = 0;
  sqlite3_result_text(ctx, zOut, nOut, sqlite3_free);
}

static int stepsColumn(sqlite3_vtab_cursor *cur, sqlite3_context *ctx, int iCol) {
  steps_cursor *pCur = (steps_cursor *)cur;
  const steps_kind *pKind = ((steps_vtab *)cur->pVtab)->pKind;
  if (iCol == 0) {
    sqlite3_result_int64(ctx, pCur->iRow);
    return SQLITE_OK;
  }
  if (iCol > pKind->nKey) { /* the hidden argument */
    sqlite3_result_text(ctx, pCur->zJson, (int)pCur->nJson, SQLITE_TRANSIENT);
    return SQLITE_OK;
  }
  if (!pCur->bParsed) {
    int rc = steps_parse_element(pCur);
    if (rc == SQLITE_NOMEM) {
      sqlite3_result_error_nomem(ctx);
      return SQLITE_NOMEM;
    }
    if (rc != SQLITE_OK) {
      char *zErr = sqlite3_mprintf("%s: element %lld is too large to tokenise", pKind->zName, pCur->iRow);
      if (!zErr) {
        sqlite3_result_error_nomem(ctx);
        return SQLITE_NOMEM;
      }
      sqlite3_result_error(ctx, zErr, -1);
      sqlite3_free(zErr);
      return SQLITE_ERROR;
    }
  }
  int t = pCur->aTok[iCol - 1];
  if (t < 0) {
    sqlite3_result_null(ctx);
  } else {
    steps_result_token(ctx, pCur, t);
  }
  return SQLITE_OK;
}

/*
** The only constraint used is EQ on the hidden json column: it becomes
** argv[0] of xFilter (idxNum 1). If it is there but not usable yet (the
** argument depends on a table not yet scanned), SQLITE_CONSTRAINT makes
** SQLite put this function on the inner side of the join. Without it,
** idxNum 0 makes xFilter report the missing argument. Rows come out in
** position order, so ORDER BY position (ascending) is consumed.
*/
static int stepsBestIndex(sqlite3_vtab *pVtab, sqlite3_index_info *pInfo) {
  const steps_kind *pKind = ((steps_vtab *)pVtab)->pKind;
  int iJsonCol = pKind->nKey + 1;
  int iArg = -1, bSeen = 0;
  for (int i = 0; i < pInfo->nConstraint; i++) {
    const struct sqlite3_index_constraint *p = &pInfo->aConstraint[i];
    if (p->iColumn != iJsonCol || p->op != SQLITE_INDEX_CONSTRAINT_EQ) continue;
    bSeen = 1;
    if (p->usable && iArg < 0) iArg = i;
  }
  if (iArg < 0) {
    if (bSeen) return SQLITE_CONSTRAINT;
    pInfo->idxNum = 0;
    pInfo->estimatedCost = 1e12;
    pInfo->estimatedRows = 1;
    return SQLITE_OK;
  }
  pInfo->aConstraintUsage[iArg].argvIndex = 1;
  pInfo->aConstraintUsage[iArg].omit = 1;
  pInfo->idxNum = 1;
  pInfo->estimatedCost = 10;
  pInfo->estimatedRows = 10;
  if (pInfo->nOrderBy == 1 && pInfo->aOrderBy[0].iColumn <= 0 && !pInfo->aOrderBy[0].desc) {
    pInfo->orderByConsumed = 1;
  }
  return SQLITE_OK;
}

static const sqlite3_module stepsModule = {
    0,                /* iVersion */
    0,                /* xCreate: eponymous-only */
    stepsConnect,     /* xConnect */
    stepsBestIndex,   /* xBestIndex */
    stepsDisconnect,  /* xDisconnect */
    0,                /* xDestroy */
    stepsOpen,        /* xOpen */
    stepsClose,       /* xClose */
    stepsFilter,      /* xFilter */
    stepsNext,        /* xNext */
    stepsEof,         /* xEof */
    stepsColumn,      /* xColumn */
    stepsRowid,       /* xRowid */
    0,                /* xUpdate */
    0,                /* xBegin */
    0,                /* xSync */
    0,                /* xCommit */
    0,                /* xRollback */
    0,                /* xFindFunction */
    0,                /* xRename */
    0,                /* xSavepoint */
    0,                /* xRelease */
    0,                /* xRollbackTo */
    0                 /* xShadowName */
};

int steps_register(sqlite3 *db) {
  int rc = sqlite3_create_module(db, stepsKind.zName, &stepsModule, (void *)&stepsKind);
  if (rc == SQLITE_OK) rc = sqlite3_create_module(db, modpropKind.zName, &stepsModule, (void *)&modpropKind);
  return rc;
}
