/*
** records.h: split a JSON text into records (one JSON object each).
**
** Accepted shapes, in any mix, one after another:
**   {"value":[{...},{...}], "@odata.nextLink":"..."}   a Graph page
**   [{...},{...}]                                       a bare array
**   {...}\n{...}\n                                      one object per line
** A top-level object with a "value" array is a page and its elements are
** the records; any other top-level object is itself a record.
**
** The splitter never holds more than one record (or one page's small
** header values) at a time: the caller feeds bytes through a refill
** callback, and the buffer keeps only what the current record needs.
** Everything it passes over is validated strictly (pj_value_end).
** The interface of records.c, whose first comment says what it calls.
*/
#ifndef PROV_RECORDS_H
#define PROV_RECORDS_H

#include <stddef.h>

#include "sqlite3ext.h"

/* Largest single record (or page header value) accepted. */
#define REC_MAX_OBJECT (64 * 1024 * 1024)

/*
** Refill callback: append up to nMax bytes at zDst. Return the number of
** bytes written, 0 at end of input, or -1 on a read error (then set
** *pzErr to an sqlite3_malloc'd message).
*/
typedef long (*rec_read_fn)(void *pArg, char *zDst, size_t nMax, char **pzErr);

typedef struct rec_splitter rec_splitter;

/*
** Create a splitter. zName names the input in error messages ("file
** x.json", "page 3 of https://..."). When xRead is NULL the input is the
** fixed buffer z[0..n), which must outlive the splitter.
*/
int rec_open(rec_splitter **pp, const char *zName, rec_read_fn xRead,
             void *pArg, const char *z, size_t n);

/*
** Next record. On SQLITE_ROW, *pz / *pn hold the object's text (valid
** until the next call) and *piOff its byte offset in the input. Returns
** SQLITE_DONE at the end, or an error code with *pzErr set to a message
** naming the input, the line and the column.
*/
int rec_next(rec_splitter *p, const char **pz, size_t *pn,
             sqlite3_int64 *piOff, char **pzErr);

/*
** The top-level members of the record last returned, with offsets relative
** to its start (*pn = -1 when unknown: then tokenise it yourself).
*/
const struct pj_member *rec_members(rec_splitter *p, int *pn);

/*
** From now on the input must be exactly one Graph page (an HTTP answer): a
** JSON object whose "value" is an array of objects, with no "error" member,
** and an "@odata.nextLink", when present, a non-empty string. Anything else
** is an error naming what was received (its first bytes), never a record.
** (Without this, a top-level object without "value" is itself a record; a
** "value" that is not an array is an error in both modes.)
*/
void rec_set_page_only(rec_splitter *p);

/* The last "@odata.nextLink" seen in a page (unescaped), or NULL. */
const char *rec_next_link(rec_splitter *p);

/* Number of "value" pages seen so far. */
int rec_pages(rec_splitter *p);

void rec_close(rec_splitter *p);

#endif
