/*
** http.h: one HTTP request over a source's curl multi handle, with its
** retries (http.c; its error text in http_error.c).
**
** Usage (source_http.c, auth.c):
**   http_req *r = http_req_new(&conn, "provisioning_events", "GET", zUrl);
**   if (!r) return SQLITE_NOMEM;
**   rc = http_req_run(r, &zErr);        -- retries, Retry-After, interrupts
**   if (rc == SQLITE_OK) zBody = http_req_take_body(r, &nBody);
**   http_req_free(r);
**
** A connection (http_conn) is what the requests of one source share: its
** options, its origin, its pacing key, the multi handle whose pool keeps
** connections alive, the interrupt check, the counters, and the credential
** hooks (http_cred) through which the layer above (auth.c) supplies the
** token and masks its secrets: this layer never calls up.
*/
#ifndef PROV_HTTP_H
#define PROV_HTTP_H

#include <curl/curl.h>
#include <stddef.h>

#include "http_url.h"
#include "interrupt.h"
#include "source.h"

/* What a connection asks of its credential (auth.c fills it in). */
typedef struct http_cred http_cred;
struct http_cred {
  char *zToken;    /* the bearer token to send, or NULL; on a 401 with bRenew, http.c drops it (wiped) */
  int bSend;       /* the source's requests carry the token (not auth='none') */
  int bRenew;      /* a 401 is answered once by dropping the token and asking again (Azure) */
  /* Make zToken the token to send now: SQLITE_OK, or an error with *pzErr. */
  int (*xToken)(http_cred *, const char *zWho, char **pzErr);
  /* z with every secret of the credential masked (z is freed; NULL when out of memory). */
  char *(*xMask)(http_cred *, char *z);
};

/* What the requests of one source share. */
typedef struct http_conn {
  const prov_options *o; /* limits, time-outs, ca_file */
  url_origin org;        /* the source's origin: the only one the token goes to */
  int bLoopback;         /* a loopback source: plain http allowed */
  char *zPaceKey;        /* the pacing window's key: origin and auth reference (owned) */
  CURLM *multi;          /* every transfer; its pool gives keep-alive across pages and statements */
  prov_intr intr;        /* the table's connection: was it interrupted? */
  prov_stats *pStats;    /* the source's counters (requests, bytes) */
  http_cred *pCred;      /* the token and the secrets to mask, or NULL */
} http_conn;

/* One request. The caller may set the fields marked "in" after http_req_new(). */
typedef struct http_req {
  http_conn *pConn;
  const char *zWho;     /* "provisioning_events", for messages */
  const char *zMethod;  /* static */
  char *zUrl;
  const char *zBody;    /* in: borrowed; never printed */
  size_t nBody;         /* in */
  const char *zCtype;   /* in: request Content-Type or NULL */
  const char *zHdrMore; /* in: one more header line or NULL (managed identity) */
  const char *zProto;   /* in: allowed protocols */
  int bAuth;            /* in: send the token (source origin only) */
  int bPace;            /* in: take a pacing slot */
  int bToken;           /* in: the token endpoint (messages, wiped answer, not counted) */
  CURL *h;
  struct curl_slist *pHdr;
  /* response */
  char *zResp;
  size_t nResp, nRespAlloc;
  sqlite3_int64 nMax;   /* in: the largest answer */
  int bTooBig, bNoMem;
  char zRetryAfter[64];
  char zReqId[128];
  char zLocation[1024];
  char zErrBuf[CURL_ERROR_SIZE];
  /* state */
  int bRunning, bDone;
  CURLcode cc;
  long iStatus;
  double tStart;
  int iPaceEntry;
  unsigned paceSeq;
  int nRetry;
  double rWaited;
  int bRenewed;
  prov_stats *pStats; /* in: the stream that asked, to count its own requests */
} http_req;

/*
** curl_global_init(), exactly once per process and thread-safe
** (pthread_once), with allocators that wipe libcurl's memory before it is
** freed. SQLITE_OK, or SQLITE_ERROR when libcurl could not be initialised.
*/
int http_global_init(void);

/* Seconds on the monotonic clock. */
double http_now(void);

/* PROVISIONING_TRACE is set (one stderr line per request and outcome). */
int http_trace_on(void);

/* The multi handle of c (SQLITE_NOMEM when it cannot be made); close frees what c owns. */
int http_conn_open(http_conn *c);
void http_conn_close(http_conn *c);

/* z with the credential's secrets masked (z is freed; NULL when out of memory). */
char *http_mask(http_conn *c, char *z);

/* zUrl as a trace line may show it: credential-looking query values and secrets masked. */
char *http_show_url(http_conn *c, const char *zUrl);

/* A request of c (NULL when out of memory): the token sent when the credential sends one, paced. */
http_req *http_req_new(http_conn *c, const char *zWho, const char *zMethod, const char *zUrl);
void http_req_free(http_req *r);

/* Take the response body out of r (sqlite3_malloc'd, NUL-terminated). */
char *http_req_take_body(http_req *r, size_t *pn);

/*
** Start one attempt of r if pacing allows. bWait: wait for pacing.
** Returns SQLITE_OK (started, or *pbLater when pacing said not yet), or an
** error with *pzErr set.
*/
int http_req_start(http_req *r, int bWait, int *pbLater, char **pzErr);

/*
** Run r to completion, retries included. SQLITE_OK when the answer is 2xx
** (body in r->zResp), else an error with *pzErr set.
*/
int http_req_run(http_req *r, char **pzErr);

/* What became of a failed write (source.h): the HTTP status answered, or whether it may have reached the server. */
int http_write_outcome(http_req *r);

/*
** Run c's transfers. Unless one ends at once, wait up to ms for
** activity (with no transfer at all, this sleeps ms).
*/
void http_drive(http_conn *c, int ms);

#endif
