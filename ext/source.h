/*
** source.h: the backing store of a table, behind one interface.
**
** A source takes a pq_query and returns a stream of records (JSON object
** texts); a write takes a method, a path and a body. Two kinds:
**   file:PATH          source_file.c, evaluated in-process (PQ_PROFILE_LOCAL)
**   https://... http:// source_http.c, Microsoft Graph (PQ_PROFILE_GRAPH)
** The table code never sees HTTP or file handles.
** Declarations only: the interface source_file.c and source_http.c implement.
*/
#ifndef PROV_SOURCE_H
#define PROV_SOURCE_H

#include <stddef.h>

#include "plan.h"
#include "sqlite3ext.h"

typedef struct prov_source prov_source;
typedef struct prov_stream prov_stream;

/* Options from CREATE VIRTUAL TABLE, parsed by the table (args.c). */
typedef struct prov_options {
  const char *zSource;     /* source=  'file:PATH' or a URL */
  const char *zAuth;       /* auth=    'env:NAME', 'file:PATH', 'azure' or NULL */
  const char *zCollection; /* collection= 'provisioning' | 'directoryProvisioning' */
  const char *zCaFile;     /* ca_file= CA bundle for https, or NULL */
  sqlite3_int64 nPageSize; /* page_size= default $top without LIMIT; 0 = server's */
  sqlite3_int64 nPageMax;  /* page_max= largest $top sent (default 1000) */
  int bSelect;             /* select=  send $select (default: odata=extended only) */
  int bODataExtended;      /* odata=extended: also `or` and $select (default documented) */
  int nRateLimit;          /* rate_limit= requests per window (default 5) */
  double rRateWindow;      /* rate_window= seconds (default 10) */
  int nMaxRetries;         /* max_retries= per request (default 3) */
  double rMaxWait;         /* max_wait= seconds of retry waits per request (180) */
  double rRetryBase;       /* retry_base= first back-off in seconds (default 3) */
  double rConnectTimeout;  /* connect_timeout= seconds (default 10) */
  double rLowSpeedTime;    /* low_speed_time= seconds under 1 byte/s (30) */
  double rTimeout;         /* timeout= seconds for a whole transfer (default 100) */
  sqlite3_int64 nMaxResponse; /* max_response= bytes per response (256 MiB) */
  const char *zCache;      /* cache= 'memory' or a file path, or NULL */
  double rCacheTtl;        /* cache_ttl= seconds (default 300) */
  int bWritable;           /* writable= 1: INSERT/UPDATE allowed (DIRECTONLY) */
  int bRef;                /* ref= 1: INSERT posts to .../directoryProvisioning/$ref */
  int bPushdown;           /* pushdown= 0: send no condition (tests compare both ways) */
  sqlite3 *db;             /* not an option: the table's connection (interrupt checks), or NULL */
} prov_options;

/*
** Parse the CREATE VIRTUAL TABLE arguments (argv[3..]) of module zModule
** into *o, with defaults. Strings in *o point into *pzStore (free it with
** sqlite3_free). Literal secrets are refused. SQLITE_OK or an error with
** *pzErr set.
*/
int prov_options_parse(const char *zModule, int argc, const char *const *argv, prov_options *o,
                       char **pzStore, char **pzErr);

/* Counters of the last scan, for provisioning_scan_stats(). */
typedef struct prov_stats {
  sqlite3_int64 nScanned;  /* records read from the source */
  sqlite3_int64 nReturned; /* rows handed to SQLite */
  sqlite3_int64 nRequests; /* HTTP requests sent (0 for files) */
  sqlite3_int64 nBytes;    /* bytes received or read */
  sqlite3_int64 nRefused;  /* requests answered 400 for a query form, then retried without it */
  unsigned mRefusedForms;  /* ODATA_FORM_* left out because the origin refused them */
} prov_stats;

#define PROV_WRITE_NOT_SENT 0
#define PROV_WRITE_UNKNOWN (-1)

/* One write of a batch (xWriteBatch). */
typedef struct prov_write_req {
  const char *zMethod, *zPath, *zBody; /* in */
  int iStatus;                         /* out: HTTP-like status */
  char *zResp;                         /* out: sqlite3_malloc'd, may be NULL */
} prov_write_req;

struct prov_source {
  int eProfile; /* PQ_PROFILE_* */
  /* Start a scan for q under Graph path zPath (e.g. "/auditLogs/provisioning"). */
  int (*xOpen)(prov_source *, const char *zPath, const pq_query *q,
               prov_stream **ppStream, char **pzErr);
  /*
  ** Next record: SQLITE_ROW with *pz and *pn (valid until the next call),
  ** SQLITE_DONE at the end, else an error with *pzErr set.
  */
  int (*xNext)(prov_stream *, const char **pz, size_t *pn, char **pzErr);
  void (*xClose)(prov_stream *);
  /*
  ** Optional: the record last returned by xNext, already tokenised by the
  ** source (an ev_row *), or NULL. Saves tokenising it twice.
  */
  void *(*xParsed)(prov_stream *);
  /*
  ** Optional: the top-level members of the record last returned by xNext
  ** (a struct pj_member array, offsets relative to the record), *pn = -1
  ** when unknown. Saves finding them again.
  */
  const struct pj_member *(*xMembers)(prov_stream *, int *pn);
  /* Optional: this stream's own counters (scans may overlap). */
  void (*xStats)(prov_stream *, prov_stats *);
  /*
  ** Send one write: zMethod "POST" / "PATCH" / "DELETE" to zPath with the
  ** JSON body (or NULL), at most once; also "GET" of one entity. On success *piStatus is the HTTP
  ** status and *pzResp the response body (sqlite3_malloc'd, may be NULL).
  ** On failure *piStatus says what became of it: the HTTP status the
  ** server answered, PROV_WRITE_NOT_SENT (it certainly never reached the
  ** server) or PROV_WRITE_UNKNOWN (it may have: connection lost after
  ** sending, time-out waiting for the answer).
  */
  int (*xWrite)(prov_source *, const char *zMethod, const char *zPath,
                const char *zBody, int *piStatus, char **pzResp,
                char **pzErr);
  /*
  ** Optional: apply n writes as one unit, all or nothing (the file source:
  ** one locked rewrite per COMMIT). On success a[i].iStatus and a[i].zResp
  ** are set for each; on failure nothing was applied, *piFailed is the
  ** write at fault (or -1) and *pzErr says why.
  */
  int (*xWriteBatch)(prov_source *, struct prov_write_req *a, int n,
                     int *piFailed, char **pzErr);
  void (*xDestroy)(prov_source *);
  prov_stats stats;
  /*
  ** Optional: the OData forms (odata_forms.h) the source may send now:
  ** its profile minus what its origin refused. NULL: not an OData source.
  */
  unsigned (*xForms)(prov_source *);
};

/* Create the source named by opts->zSource. */
int source_file_open(const prov_options *opts, prov_source **pp, char **pzErr);
int source_http_open(const prov_options *opts, prov_source **pp, char **pzErr);

#endif
