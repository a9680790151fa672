/*
** page_check.h: paging that always ends (page_check.c).
**
** A scan remembers every URL it requested (normalised, so the same query
** parameters in another order, with an extra '&' or with %-escapes of
** plain characters, are the same link) and refuses a nextLink that repeats
** one; and it refuses to follow more than PC_MAX_EMPTY pages in a row that
** hold no record but link on. pc_peek() looks ahead into a page.
*/
#ifndef PROV_PAGE_CHECK_H
#define PROV_PAGE_CHECK_H

#include <stddef.h>

#include "sqlite3ext.h"

/* Pages in a row without a record, each with a nextLink, before the scan fails. */
#define PC_MAX_EMPTY 10

typedef struct pc_scan {
  sqlite3_uint64 *aHash; /* open addressing, 0 = empty slot */
  int *aPage;            /* the page each URL was requested for */
  int nSlot, nUsed;
  int nEmpty;            /* pages in a row without a record that linked on */
} pc_scan;

/* The normalised form of zUrl (sqlite3_malloc'd), or NULL when out of memory. */
char *pc_normal(const char *zUrl);

/* Remember zUrl as the URL of page iPage. SQLITE_OK or SQLITE_NOMEM. */
int pc_add(pc_scan *p, const char *zUrl, int iPage);

/* The page zUrl was requested for, 0 when it was not, -1 when out of memory. */
int pc_seen(pc_scan *p, const char *zUrl);

/*
** Page iPage held nRec records and links to zNext: may the scan follow it?
** SQLITE_OK (zNext is remembered as page iPage + 1), else SQLITE_ERROR
** with *pzErr naming the repeat or the run of empty pages (zWho first),
** or SQLITE_NOMEM.
*/
int pc_follow(pc_scan *p, const char *zWho, int iPage, sqlite3_int64 nRec, const char *zNext, char **pzErr);

/*
** A light pass over the page z[0..n) (no validation: the record splitter
** validates): *pnRec the number of records in "value" (-1 when the page
** does not read as an object), and the @odata.nextLink, wherever it sits
** in the page, unescaped into *pzLink (sqlite3_malloc'd, replacing what
** was there; left as it was when there is none or out of memory). Only
** to decide and aim a prefetch.
*/
void pc_peek(const char *z, size_t n, sqlite3_int64 *pnRec, char **pzLink);

void pc_free(pc_scan *p);

#endif
