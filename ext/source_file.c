/*
** source_file.c: events from a JSON file on disk, queried in-process.
**
**   source='file:PATH'   a Graph page ({"value":[...]}, or several one
**                        after another), a bare array, or one object per line
**
** How it works: the file is read in chunks through the record splitter
** (records.c), so memory stays bounded by the largest event, whatever the
** file's size. Each record is tokenised once (event_row.c) and the query's
** conditions are evaluated with pq_row_matches(), which is SQLite's own
** comparison: the profile is PQ_PROFILE_LOCAL and constraints are omitted.
** An ORDER BY on activity_date_time is served by a first pass that keeps
** (time, offset, length) of each matching event, a sort, and then a pread
** of each event in order.
** Calls: records.c, event_row.c, schema.c, time_order.c and plan.h's row
** checks to read, file_replace.c to write; implements source.h.
*/
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "event_row.h"
#include "file_replace.h"
#include "records.h"
#include "schema.h"
#include "source.h"
#include "time_order.h"

SQLITE_EXTENSION_INIT3

typedef struct file_source {
  prov_source base;
  char *zPath;
} file_source;

typedef struct sort_entry {
  char zKey[PQ_TIME_LEN + 1]; /* the value, when it fits (canonical times do) */
  unsigned char eType;        /* SQLITE_NULL sorts first, then text (BINARY) */
  int nKey;
  char *zHeap;                /* the value, when longer */
  sqlite3_int64 iOff;
  sqlite3_int64 nLen;
} sort_entry;

typedef struct file_stream {
  file_source *pSrc;
  const pq_query *q;
  int fd;
  rec_splitter *pSplit;
  ev_row row;
  /* sorted mode */
  sort_entry *aSort;
  sqlite3_int64 nSort, iSort;
  char *zRec;
  size_t nRecAlloc;
  int bRowValid; /* row holds the record last returned */
  prov_stats stats; /* this stream's own counters */
} file_stream;

static long file_read(void *pArg, char *zDst, size_t nMax, char **pzErr) {
  file_stream *s = (file_stream *)pArg;
  for (;;) {
    ssize_t n = read(s->fd, zDst, nMax);
    if (n >= 0) {
      s->pSrc->base.stats.nBytes += n;
      s->stats.nBytes += n;
      return (long)n;
    }
    if (errno == EINTR) continue;
    *pzErr = sqlite3_mprintf("provisioning_events: cannot read file '%s': %s", s->pSrc->zPath,
                             strerror(errno));
    return -1;
  }
}

/* Next record matching the query, from the splitter. */
static int file_next_match(file_stream *s, const char **pz, size_t *pn, sqlite3_int64 *piOff,
                           char **pzErr) {
  s->bRowValid = 0;
  for (;;) {
    int rc = rec_next(s->pSplit, pz, pn, piOff, pzErr);
    if (rc != SQLITE_ROW) return rc;
    s->pSrc->base.stats.nScanned++;
    s->stats.nScanned++;
    int nMember;
    const pj_member *aMember = rec_members(s->pSplit, &nMember);
    rc = ev_row_load(&s->row, *pz, *pn, aMember, nMember);
    if (rc == SQLITE_OK && s->q->nCond == 0) {
      s->bRowValid = 1;
      return SQLITE_ROW;
    }
    if (rc == SQLITE_NOMEM) return rc;
    if (rc) {
      *pzErr = sqlite3_mprintf("provisioning_events: cannot tokenise an event of '%s'", s->pSrc->zPath);
      return *pzErr ? SQLITE_ERROR : SQLITE_NOMEM;
    }
    int bMatch = 0;
    rc = pq_row_matches(s->q, ev_row_column_fn, &s->row, &bMatch);
    if (rc == SQLITE_NOMEM) return rc;
    if (rc || bMatch) {
      /* (an undecodable value keeps the row: reading the column reports it) */
      s->bRowValid = 1;
      return SQLITE_ROW;
    }
  }
}

static int sort_key_cmp(const sort_entry *x, const sort_entry *y) {
  if (x->eType != y->eType) return x->eType == SQLITE_NULL ? -1 : 1;
  if (x->eType == SQLITE_NULL) return 0;
  const char *a = x->zHeap ? x->zHeap : x->zKey;
  const char *b = y->zHeap ? y->zHeap : y->zKey;
  /* the order of the column's collation: instants */
  return pt_compare(a, x->nKey, b, y->nKey);
}

static int sort_cmp(const void *a, const void *b) {
  const sort_entry *x = a, *y = b;
  int c = sort_key_cmp(x, y);
  if (c) return c;
  return x->iOff < y->iOff ? -1 : x->iOff > y->iOff;
}

static int sort_cmp_desc(const void *a, const void *b) {
  const sort_entry *x = a, *y = b;
  int c = sort_key_cmp(y, x);
  if (c) return c;
  return x->iOff < y->iOff ? -1 : x->iOff > y->iOff;
}

static void sort_free(file_stream *s) {
  for (sqlite3_int64 i = 0; i < s->nSort; i++) sqlite3_free(s->aSort[i].zHeap);
  sqlite3_free(s->aSort);
  s->aSort = 0;
  s->nSort = 0;
}

static int file_sort(file_stream *s, char **pzErr) {
  sqlite3_int64 nAlloc = 0;
  for (;;) {
    const char *z;
    size_t n;
    sqlite3_int64 iOff;
    int rc = file_next_match(s, &z, &n, &iOff, pzErr);
    if (rc == SQLITE_DONE) break;
    if (rc != SQLITE_ROW) return rc;
    if (s->nSort >= nAlloc) {
      sqlite3_int64 nNew = nAlloc ? nAlloc * 2 : 1024;
      sort_entry *aNew = sqlite3_realloc64(s->aSort, sizeof(sort_entry) * (sqlite3_uint64)nNew);
      if (!aNew) return SQLITE_NOMEM;
      s->aSort = aNew;
      nAlloc = nNew;
    }
    sort_entry *e = &s->aSort[s->nSort++];
    memset(e, 0, sizeof(*e));
    e->iOff = iOff;
    e->nLen = (sqlite3_int64)n;
    pv_value v;
    rc = ev_row_value(&s->row, s->q->iOrderCol, &v);
    if (rc == SQLITE_NOMEM) return rc;
    if (rc || v.eType != SQLITE_TEXT) {
      /* the time column is always TEXT or NULL; an undecodable one is
         reported when read, and sorts first here */
      e->eType = SQLITE_NULL;
    } else {
      e->eType = SQLITE_TEXT;
      e->nKey = v.n;
      if (v.n <= PQ_TIME_LEN) {
        memcpy(e->zKey, v.z, (size_t)v.n);
      } else {
        e->zHeap = sqlite3_malloc64((sqlite3_uint64)v.n);
        if (!e->zHeap) return SQLITE_NOMEM;
        memcpy(e->zHeap, v.z, (size_t)v.n);
      }
    }
  }
  qsort(s->aSort, (size_t)s->nSort, sizeof(sort_entry), s->q->bDesc ? sort_cmp_desc : sort_cmp);
  return SQLITE_OK;
}

static int file_open_stream(prov_source *pSrc, const char *zPath, const pq_query *q, prov_stream **pp,
                            char **pzErr) {
  file_source *src = (file_source *)pSrc;
  file_stream *s = sqlite3_malloc64(sizeof(*s));
  *pp = 0;
  if (!s) return SQLITE_NOMEM;
  memset(s, 0, sizeof(*s));
  s->pSrc = src;
  s->q = q;
  s->fd = open(src->zPath, O_RDONLY | O_CLOEXEC);
  if (s->fd < 0) {
    *pzErr = sqlite3_mprintf("provisioning_events: cannot open file '%s': %s", src->zPath, strerror(errno));
    sqlite3_free(s);
    return SQLITE_CANTOPEN;
  }
  char *zName = sqlite3_mprintf("provisioning_events: file '%s'", src->zPath);
  int rc = zName ? rec_open(&s->pSplit, zName, file_read, s, 0, 0) : SQLITE_NOMEM;
  sqlite3_free(zName);
  if (rc == SQLITE_OK && q->iOrderCol >= 0) rc = file_sort(s, pzErr);
  if (rc) {
    close(s->fd);
    rec_close(s->pSplit);
    ev_row_free(&s->row);
    sort_free(s);
    sqlite3_free(s);
    return rc;
  }
  *pp = (prov_stream *)s;
  return SQLITE_OK;
}

static int file_next(prov_stream *pStream, const char **pz, size_t *pn, char **pzErr) {
  file_stream *s = (file_stream *)pStream;
  if (s->q->bNever) return SQLITE_DONE;
  if (s->q->iOrderCol < 0) {
    sqlite3_int64 iOff;
    return file_next_match(s, pz, pn, &iOff, pzErr);
  }
  s->bRowValid = 0;
  if (s->iSort >= s->nSort) return SQLITE_DONE;
  sort_entry *e = &s->aSort[s->iSort++];
  if ((size_t)e->nLen > s->nRecAlloc) {
    char *z = sqlite3_realloc64(s->zRec, (sqlite3_uint64)e->nLen);
    if (!z) return SQLITE_NOMEM;
    s->zRec = z;
    s->nRecAlloc = (size_t)e->nLen;
  }
  size_t got = 0;
  while (got < (size_t)e->nLen) {
    ssize_t n = pread(s->fd, s->zRec + got, (size_t)e->nLen - got, e->iOff + (sqlite3_int64)got);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      *pzErr = sqlite3_mprintf("provisioning_events: file '%s' changed while it was read", s->pSrc->zPath);
      return SQLITE_IOERR;
    }
    got += (size_t)n;
  }
  *pz = s->zRec;
  *pn = got;
  return SQLITE_ROW;
}

static void file_stats(prov_stream *pStream, prov_stats *p) { *p = ((file_stream *)pStream)->stats; }

static void *file_parsed(prov_stream *pStream) {
  file_stream *s = (file_stream *)pStream;
  return s->bRowValid ? &s->row : 0;
}

static void file_close(prov_stream *pStream) {
  file_stream *s = (file_stream *)pStream;
  if (!s) return;
  if (s->fd >= 0) close(s->fd);
  rec_close(s->pSplit);
  ev_row_free(&s->row);
  sort_free(s);
  sqlite3_free(s->zRec);
  sqlite3_free(s);
}

/*
** Writes to a file: one rewrite per COMMIT (xWriteBatch), whatever the
** number of queued changes, all or nothing. The file is rewritten into a
** temporary file in the same directory (a Graph page, one event per line),
** fsync'd and renamed over the original, so a reader never sees a
** half-written file, under an advisory lock held from reading the current
** content to the rename, so concurrent writers never lose each other's
** changes (file_replace.c: bounded wait, mode and owner kept, symlinks
** followed, stale temporary files of killed writers removed). POST appends
** the event with a new id; PATCH merges the body into the event with that
** id (RFC 7386 merge, through SQLite's json_patch).
*/
static long file_read_fd(void *pArg, char *zDst, size_t nMax, char **pzErr) {
  int fd = *(int *)pArg;
  for (;;) {
    ssize_t n = read(fd, zDst, nMax);
    if (n >= 0) return (long)n;
    if (errno == EINTR) continue;
    *pzErr = sqlite3_mprintf("read error: %s", strerror(errno));
    return -1;
  }
}

static int write_all(int fd, const char *z, size_t n) {
  while (n > 0) {
    ssize_t k = write(fd, z, n);
    if (k < 0 && errno == EINTR) continue;
    if (k <= 0) return -1;
    z += k;
    n -= (size_t)k;
  }
  return 0;
}

/* A fresh GUID-shaped id. */
static void new_guid(char zOut[37]) {
  unsigned char b[16];
  sqlite3_randomness(16, b);
  b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
  b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
  sqlite3_snprintf(37, zOut, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1],
                   b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
}

/*
** One SQL value from a private in-memory connection: json_patch / json_set.
** SQLITE_OK with *pzOut (NULL for a SQL NULL), SQLITE_NOMEM, or
** SQLITE_ERROR when SQLite refused the input (malformed JSON).
*/
static int json_eval(sqlite3 *db, const char *zSql, const char *a, const char *b, char **pzOut) {
  sqlite3_stmt *pStmt = 0;
  *pzOut = 0;
  int rc = sqlite3_prepare_v2(db, zSql, -1, &pStmt, 0);
  if (rc == SQLITE_OK) rc = sqlite3_bind_text(pStmt, 1, a, -1, SQLITE_STATIC);
  if (rc == SQLITE_OK) rc = sqlite3_bind_text(pStmt, 2, b, -1, SQLITE_STATIC);
  if (rc == SQLITE_OK) {
    rc = sqlite3_step(pStmt);
    if (rc == SQLITE_ROW) {
      const char *z = (const char *)sqlite3_column_text(pStmt, 0);
      rc = SQLITE_OK;
      if (z) {
        *pzOut = sqlite3_mprintf("%s", z);
        if (!*pzOut) rc = SQLITE_NOMEM;
      } else if (sqlite3_column_type(pStmt, 0) != SQLITE_NULL) {
        rc = SQLITE_NOMEM; /* the text conversion failed */
      }
    }
  }
  int rcFin = sqlite3_finalize(pStmt);
  if (rc == SQLITE_DONE || rc == SQLITE_OK) rc = rcFin;
  if ((rc & 0xff) == SQLITE_NOMEM) rc = SQLITE_NOMEM;
  if (rc != SQLITE_OK) {
    sqlite3_free(*pzOut);
    *pzOut = 0;
    if (rc != SQLITE_NOMEM) rc = SQLITE_ERROR;
  }
  return rc;
}

/* A PATCH of the batch, for finding its event: the id and the write's index. */
typedef struct patch_ref {
  const char *zId;
  int iReq;
} patch_ref;

static int patch_cmp(const void *a, const void *b) {
  const patch_ref *x = a, *y = b;
  int c = strcmp(x->zId, y->zId);
  if (c) return c;
  return x->iReq < y->iReq ? -1 : x->iReq > y->iReq;
}

/*
** Apply n writes in one locked rewrite (file_replace.h): POST appends the
** event with a new id, PATCH merges its body into the first event with that
** id (several PATCHes of one event in queue order). All or nothing: any
** failure leaves the file as it was.
*/
static int file_write_batch(prov_source *pSrc, prov_write_req *a, int n, int *piFailed, char **pzErr) {
  file_source *src = (file_source *)pSrc;
  int rc = SQLITE_OK, nOut = 0, nPatch = 0;
  char **azNew = 0;  /* per write: the POSTed event */
  patch_ref *aPatch = 0;
  int *aFound = 0;
  rec_splitter *pSplit = 0;
  ev_row row;
  sqlite3 *db = 0;
  file_replace fr;
  memset(&row, 0, sizeof(row));
  memset(&fr, 0, sizeof(fr));
  fr.fdData = fr.fdTmp = -1;
  *piFailed = -1;
  azNew = sqlite3_malloc64(sizeof(char *) * (sqlite3_uint64)(n + 1));
  aPatch = sqlite3_malloc64(sizeof(patch_ref) * (sqlite3_uint64)(n + 1));
  aFound = sqlite3_malloc64(sizeof(int) * (sqlite3_uint64)(n + 1));
  if (azNew) memset(azNew, 0, sizeof(char *) * (size_t)(n + 1)); /* freed element-wise at done: */
  if (!azNew || !aPatch || !aFound) {
    rc = SQLITE_NOMEM;
    goto done;
  }
  memset(aFound, 0, sizeof(int) * (size_t)(n + 1));
  if (sqlite3_open_v2(":memory:", &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_MEMORY, 0) != SQLITE_OK) {
    rc = SQLITE_NOMEM;
    goto done;
  }
  for (int i = 0; i < n; i++) {
    a[i].iStatus = 0;
    a[i].zResp = 0;
    if (strcmp(a[i].zMethod, "POST") == 0) {
      char zGuid[37];
      new_guid(zGuid);
      rc = json_eval(db, "SELECT json_set(?1, '$.id', ?2)", a[i].zBody, zGuid, &azNew[i]);
      if (rc == SQLITE_NOMEM) goto done;
      if (rc || !azNew[i]) {
        *piFailed = i;
        *pzErr = sqlite3_mprintf("the body is not a JSON object");
        rc = *pzErr ? SQLITE_ERROR : SQLITE_NOMEM;
        goto done;
      }
    } else if (strcmp(a[i].zMethod, "PATCH") == 0) {
      const char *zId = strrchr(a[i].zPath, '/');
      aPatch[nPatch].zId = zId ? zId + 1 : "";
      aPatch[nPatch].iReq = i;
      nPatch++;
    } else {
      *piFailed = i;
      *pzErr = sqlite3_mprintf("the file source cannot %s", a[i].zMethod);
      rc = *pzErr ? SQLITE_ERROR : SQLITE_NOMEM;
      goto done;
    }
  }
  qsort(aPatch, (size_t)nPatch, sizeof(patch_ref), patch_cmp);
  rc = frep_begin(&fr, "provisioning_events", src->zPath, pzErr);
  if (rc) goto done;
  if (write_all(fr.fdTmp, FREP_HEAD, sizeof(FREP_HEAD) - 1)) goto write_error;
  if (fr.st.st_size > 0) {
    char *zName = sqlite3_mprintf("file '%s'", src->zPath);
    rc = zName ? rec_open(&pSplit, zName, file_read_fd, &fr.fdData, 0, 0) : SQLITE_NOMEM;
    sqlite3_free(zName);
    const char *z;
    size_t nRec;
    sqlite3_int64 off;
    while (rc == SQLITE_OK && (rc = rec_next(pSplit, &z, &nRec, &off, pzErr)) == SQLITE_ROW) {
      rc = SQLITE_OK;
      char *zPatched = 0;
      if (nPatch) {
        int nMember;
        const pj_member *aMember = rec_members(pSplit, &nMember);
        pv_value vId;
        /* out of memory must not read as "no such id" (a 404) */
        int rcRow = ev_row_load(&row, z, nRec, aMember, nMember);
        if (rcRow == SQLITE_OK) rcRow = ev_row_value(&row, EV_COLUMN_ID, &vId);
        if (rcRow == SQLITE_NOMEM) {
          rc = SQLITE_NOMEM;
          break;
        }
        if (rcRow == SQLITE_OK && vId.eType == SQLITE_TEXT) {
          /* the PATCHes of this id, in queue order (sorted by id, then index) */
          int lo = 0, hi = nPatch;
          while (lo < hi) {
            int mid = (lo + hi) / 2;
            int c = strncmp(aPatch[mid].zId, vId.z, (size_t)vId.n);
            if (c == 0 && aPatch[mid].zId[vId.n] != 0) c = 1;
            if (c < 0) lo = mid + 1;
            else hi = mid;
          }
          for (int k = lo; k < nPatch && (int)strlen(aPatch[k].zId) == vId.n &&
                           memcmp(aPatch[k].zId, vId.z, (size_t)vId.n) == 0;
               k++) {
            if (aFound[k]) break; /* only the first event with that id */
            char *zRec = zPatched ? zPatched : sqlite3_mprintf("%.*s", (int)nRec, z);
            zPatched = 0;
            rc = zRec ? json_eval(db, "SELECT json_patch(?1, ?2)", zRec, a[aPatch[k].iReq].zBody, &zPatched)
                      : SQLITE_NOMEM;
            sqlite3_free(zRec);
            if (rc == SQLITE_NOMEM) break;
            if (rc || !zPatched) {
              *piFailed = aPatch[k].iReq;
              *pzErr = sqlite3_mprintf("the body is not a JSON object");
              rc = *pzErr ? SQLITE_ERROR : SQLITE_NOMEM;
              break;
            }
            aFound[k] = 1;
          }
          if (rc) {
            sqlite3_free(zPatched);
            break;
          }
        }
      }
      if ((nOut++ && write_all(fr.fdTmp, ",\n", 2)) ||
          write_all(fr.fdTmp, zPatched ? zPatched : z, zPatched ? strlen(zPatched) : nRec)) {
        sqlite3_free(zPatched);
        goto write_error;
      }
      sqlite3_free(zPatched);
    }
    if (rc == SQLITE_DONE) rc = SQLITE_OK;
    if (rc) goto done;
  }
  for (int k = 0; k < nPatch; k++) {
    if (aFound[k]) continue;
    int iReq = aPatch[k].iReq;
    for (int k2 = 0; k2 < nPatch; k2++) {
      if (!aFound[k2] && aPatch[k2].iReq < iReq) iReq = aPatch[k2].iReq; /* the first in queue order */
    }
    const char *zId = strrchr(a[iReq].zPath, '/');
    *piFailed = iReq;
    a[iReq].iStatus = 404;
    *pzErr = sqlite3_mprintf("HTTP 404 (file source): no event with id '%s' in '%s'", zId ? zId + 1 : "",
                             src->zPath);
    rc = *pzErr ? SQLITE_NOTFOUND : SQLITE_NOMEM;
    goto done;
  }
  for (int i = 0; i < n; i++) {
    if (!azNew[i]) continue;
    if ((nOut++ && write_all(fr.fdTmp, ",\n", 2)) || write_all(fr.fdTmp, azNew[i], strlen(azNew[i]))) {
      goto write_error;
    }
  }
  if (write_all(fr.fdTmp, "\n]}\n", 4)) goto write_error;
  rc = frep_commit(&fr, pzErr);
  if (rc) goto done;
  for (int i = 0; i < n; i++) {
    a[i].iStatus = azNew[i] ? 201 : 200;
    a[i].zResp = azNew[i];
    azNew[i] = 0;
  }
  goto done;
write_error:
  *pzErr = sqlite3_mprintf("cannot write '%s': %s (the file is unchanged)", src->zPath, strerror(errno));
  rc = *pzErr ? SQLITE_IOERR : SQLITE_NOMEM;
done:
  frep_end(&fr);
  rec_close(pSplit);
  ev_row_free(&row);
  for (int i = 0; azNew && i < n; i++) sqlite3_free(azNew[i]);
  sqlite3_free(azNew);
  sqlite3_free(aPatch);
  sqlite3_free(aFound);
  sqlite3_close(db);
  return rc;
}

static int file_write(prov_source *pSrc, const char *zMethod, const char *zPath, const char *zBody,
                      int *piStatus, char **pzResp, char **pzErr) {
  prov_write_req r;
  int iFailed;
  memset(&r, 0, sizeof(r));
  r.zMethod = zMethod;
  r.zPath = zPath;
  r.zBody = zBody;
  int rc = file_write_batch(pSrc, &r, 1, &iFailed, pzErr);
  *piStatus = rc == SQLITE_OK || r.iStatus ? r.iStatus : PROV_WRITE_NOT_SENT;
  *pzResp = r.zResp;
  return rc;
}

static void file_destroy(prov_source *pSrc) {
  file_source *src = (file_source *)pSrc;
  if (!src) return;
  sqlite3_free(src->zPath);
  sqlite3_free(src);
}

int source_file_open(const prov_options *opts, prov_source **pp, char **pzErr) {
  const char *zPath = opts->zSource + 5; /* after "file:" */
  *pp = 0;
  if (!zPath[0]) {
    *pzErr = sqlite3_mprintf("provisioning_events: source='file:' needs a path, e.g. source='file:events.json'");
    return SQLITE_ERROR;
  }
  file_source *src = sqlite3_malloc64(sizeof(*src));
  if (!src) return SQLITE_NOMEM;
  memset(src, 0, sizeof(*src));
  src->zPath = sqlite3_mprintf("%s", zPath);
  if (!src->zPath) {
    sqlite3_free(src);
    return SQLITE_NOMEM;
  }
  src->base.eProfile = PQ_PROFILE_LOCAL;
  src->base.xOpen = file_open_stream;
  src->base.xNext = file_next;
  src->base.xClose = file_close;
  src->base.xParsed = file_parsed;
  src->base.xStats = file_stats;
  src->base.xWrite = file_write;
  src->base.xWriteBatch = file_write_batch;
  src->base.xDestroy = file_destroy;
  *pp = &src->base;
  return SQLITE_OK;
}
