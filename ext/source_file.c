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
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "event_row.h"
#include "records.h"
#include "schema.h"
#include "source.h"

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
} file_stream;

static long file_read(void *pArg, char *zDst, size_t nMax, char **pzErr) {
  file_stream *s = (file_stream *)pArg;
  for (;;) {
    ssize_t n = read(s->fd, zDst, nMax);
    if (n >= 0) {
      s->pSrc->base.stats.nBytes += n;
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
    if (s->q->nCond == 0) return SQLITE_ROW;
    rc = ev_row_load(&s->row, *pz, *pn);
    if (rc) {
      *pzErr = sqlite3_mprintf("provisioning_events: cannot tokenise an event of '%s'", s->pSrc->zPath);
      return rc == SQLITE_NOMEM ? rc : SQLITE_ERROR;
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
  int n = x->nKey < y->nKey ? x->nKey : y->nKey;
  int c = n ? memcmp(a, b, (size_t)n) : 0;
  if (c) return c;
  return x->nKey < y->nKey ? -1 : x->nKey > y->nKey;
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
    if (s->q->nCond == 0) {
      rc = ev_row_load(&s->row, z, n);
      if (rc) return rc;
    }
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

static int file_write(prov_source *pSrc, const char *zMethod, const char *zPath, const char *zBody,
                      int *piStatus, char **pzResp, char **pzErr) {
  *pzErr = sqlite3_mprintf("provisioning_events: the file source is read-only");
  return SQLITE_READONLY;
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
  src->base.xWrite = file_write;
  src->base.xDestroy = file_destroy;
  *pp = &src->base;
  return SQLITE_OK;
}
