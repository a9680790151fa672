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
*/
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "event_row.h"
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
** Writes to a file: the whole file is rewritten into a temporary file in
** the same directory (a Graph page, one event per line), fsync'd and
** renamed over the original, so a reader never sees a half-written file.
** POST appends the event with a new id; PATCH merges the body into the
** event with that id (RFC 7386 merge, through SQLite's json_patch).
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

static int file_write(prov_source *pSrc, const char *zMethod, const char *zPath, const char *zBody,
                      int *piStatus, char **pzResp, char **pzErr) {
  file_source *src = (file_source *)pSrc;
  int bPost = strcmp(zMethod, "POST") == 0;
  int bPatch = strcmp(zMethod, "PATCH") == 0;
  const char *zId = 0;
  int rc = SQLITE_OK, fdIn = -1, fdOut = -1, nOut = 0, bFound = 0;
  char *zTmp = 0, *zNew = 0;
  rec_splitter *pSplit = 0;
  ev_row row;
  sqlite3 *db = 0;
  memset(&row, 0, sizeof(row));
  *pzResp = 0;
  if (bPatch) {
    zId = strrchr(zPath, '/');
    zId = zId ? zId + 1 : "";
  }
  if (!bPost && !bPatch) {
    *pzErr = sqlite3_mprintf("the file source cannot %s", zMethod);
    return SQLITE_ERROR;
  }
  if (sqlite3_open_v2(":memory:", &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_MEMORY, 0) != SQLITE_OK) {
    rc = SQLITE_NOMEM;
    goto done;
  }
  if (bPost) {
    char zGuid[37];
    new_guid(zGuid);
    rc = json_eval(db, "SELECT json_set(?1, '$.id', ?2)", zBody, zGuid, &zNew);
    if (rc == SQLITE_NOMEM) goto done;
    if (rc || !zNew) {
      *pzErr = sqlite3_mprintf("the body is not a JSON object");
      rc = *pzErr ? SQLITE_ERROR : SQLITE_NOMEM;
      goto done;
    }
  }
  zTmp = sqlite3_mprintf("%s.tmp-XXXXXX", src->zPath);
  if (!zTmp) {
    rc = SQLITE_NOMEM;
    goto done;
  }
  fdOut = mkstemp(zTmp);
  if (fdOut < 0) {
    *pzErr = sqlite3_mprintf("cannot create a temporary file beside '%s': %s", src->zPath, strerror(errno));
    rc = SQLITE_CANTOPEN;
    goto done;
  }
  if (write_all(fdOut, "{\"value\":[\n", 11)) goto write_error;
  fdIn = open(src->zPath, O_RDONLY | O_CLOEXEC);
  if (fdIn >= 0) {
    char *zName = sqlite3_mprintf("file '%s'", src->zPath);
    rc = zName ? rec_open(&pSplit, zName, file_read_fd, &fdIn, 0, 0) : SQLITE_NOMEM;
    sqlite3_free(zName);
    const char *z;
    size_t n;
    sqlite3_int64 off;
    while (rc == SQLITE_OK && (rc = rec_next(pSplit, &z, &n, &off, pzErr)) == SQLITE_ROW) {
      rc = SQLITE_OK;
      char *zPatched = 0;
      if (bPatch && !bFound) {
        int nMember;
        const pj_member *aMember = rec_members(pSplit, &nMember);
        pv_value vId;
        /* out of memory must not read as "no such id" (a 404) */
        int rcRow = ev_row_load(&row, z, n, aMember, nMember);
        if (rcRow == SQLITE_OK) rcRow = ev_row_value(&row, EV_COLUMN_ID, &vId);
        if (rcRow == SQLITE_NOMEM) {
          rc = SQLITE_NOMEM;
          break;
        }
        if (rcRow == SQLITE_OK && vId.eType == SQLITE_TEXT && vId.n == (int)strlen(zId) &&
            memcmp(vId.z, zId, (size_t)vId.n) == 0) {
          char *zRec = sqlite3_mprintf("%.*s", (int)n, z);
          rc = zRec ? json_eval(db, "SELECT json_patch(?1, ?2)", zRec, zBody, &zPatched) : SQLITE_NOMEM;
          sqlite3_free(zRec);
          if (rc == SQLITE_NOMEM) break;
          if (rc || !zPatched) {
            *pzErr = sqlite3_mprintf("the body is not a JSON object");
            rc = *pzErr ? SQLITE_ERROR : SQLITE_NOMEM;
            break;
          }
          bFound = 1;
          zNew = sqlite3_mprintf("%s", zPatched);
          if (!zNew) {
            sqlite3_free(zPatched);
            rc = SQLITE_NOMEM;
            break;
          }
        }
      }
      if ((nOut++ && write_all(fdOut, ",\n", 2)) ||
          write_all(fdOut, zPatched ? zPatched : z, zPatched ? strlen(zPatched) : n)) {
        sqlite3_free(zPatched);
        goto write_error;
      }
      sqlite3_free(zPatched);
    }
    if (rc == SQLITE_DONE) rc = SQLITE_OK;
    if (rc) goto done;
  } else if (errno != ENOENT || bPatch) {
    *pzErr = sqlite3_mprintf("cannot open file '%s': %s", src->zPath, strerror(errno));
    rc = SQLITE_CANTOPEN;
    goto done;
  }
  if (bPatch && !bFound) {
    *piStatus = 404;
    *pzErr = sqlite3_mprintf("HTTP 404 (file source): no event with id '%s' in '%s'", zId, src->zPath);
    rc = SQLITE_NOTFOUND;
    goto done;
  }
  if (bPost && ((nOut++ && write_all(fdOut, ",\n", 2)) || write_all(fdOut, zNew, strlen(zNew)))) goto write_error;
  if (write_all(fdOut, "\n]}\n", 4) || fsync(fdOut)) goto write_error;
  close(fdOut);
  fdOut = -1;
  if (rename(zTmp, src->zPath)) goto write_error;
  sqlite3_free(zTmp);
  zTmp = 0;
  {
    /* make the rename itself durable */
    /* (on the stack: no allocation can fail once the file is replaced; a
    ** longer path could not have been opened) */
    char zDir[PATH_MAX];
    snprintf(zDir, sizeof(zDir), "%s", src->zPath);
    char *zSlash = strrchr(zDir, '/');
    if (zSlash) *zSlash = 0;
    int fdDir = open(zSlash ? (zDir[0] ? zDir : "/") : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fdDir >= 0) {
      fsync(fdDir);
      close(fdDir);
    }
  }
  *piStatus = bPost ? 201 : 200;
  *pzResp = zNew;
  zNew = 0;
  goto done;
write_error:
  *pzErr = sqlite3_mprintf("cannot write '%s': %s (the file is unchanged)", src->zPath, strerror(errno));
  rc = SQLITE_IOERR;
done:
  if (fdIn >= 0) close(fdIn);
  if (fdOut >= 0) close(fdOut);
  if (zTmp) {
    unlink(zTmp);
    sqlite3_free(zTmp);
  }
  rec_close(pSplit);
  ev_row_free(&row);
  sqlite3_free(zNew);
  sqlite3_close(db);
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
  src->base.xDestroy = file_destroy;
  *pp = &src->base;
  return SQLITE_OK;
}
