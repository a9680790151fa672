/*
** http_pace.h: the pacing window, process-wide (http_pace.c).
**
** Usage (http.c, around each request):
**   int iEntry; unsigned seq;
**   double w = pace_try(zKey, nLimit, rWindow, &iEntry, &seq);
**   if (w > 0) ... wait w seconds, ask again ...
**   ... the request runs ...
**   pace_done(iEntry, seq);
**
** One sliding window per key (origin and auth reference) keeps at most
** nLimit requests in any rWindow seconds, for every table and connection
** of the process that shares the key.
** The interface of http_pace.c, whose first comment says what it calls.
*/
#ifndef PROV_HTTP_PACE_H
#define PROV_HTTP_PACE_H

/*
** Take a send slot for key zKey under "nLimit per rWindow seconds".
** Returns 0 and sets *piEntry / *pSeq when granted, else the seconds to
** wait before asking again. nLimit <= 0 or rWindow <= 0: no pacing.
*/
double pace_try(const char *zKey, int nLimit, double rWindow, int *piEntry, unsigned *pSeq);

/* The request of slot (iEntry, seq) has completed (or was abandoned); iEntry -1: none. */
void pace_done(int iEntry, unsigned seq);

#endif
