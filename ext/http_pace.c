/*
** http_pace.c: the pacing window (see http_pace.h).
**
** How it works: a fixed table of PACE_ENTRIES keys (the least recently
** used is taken over), each a ring of PACE_RING slots. A slot counts from
** the request's start until it completes and then from its completion
** time, so the server, which sees the request somewhere in between, can
** never count more than nLimit in its own window. A limit above PACE_RING
** keeps the same rate with smaller bursts. Calls only the C library
** (pthread mutex, monotonic clock).
*/
#include "http_pace.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double pace_clock(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

#define PACE_ENTRIES 32
#define PACE_RING 256

typedef struct pace_entry {
  char zKey[256];
  int bUsed;
  double tLast;
  double aT[PACE_RING];     /* start time while in flight, then completion time */
  unsigned aSeq[PACE_RING]; /* 0 = empty slot */
  unsigned char aFlight[PACE_RING];
  int iHead;
  unsigned seqNext;
} pace_entry;

static pace_entry aPace[PACE_ENTRIES];
static pthread_mutex_t paceMutex = PTHREAD_MUTEX_INITIALIZER;

static int dbl_cmp(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

/* Find or make the entry for zKey (mutex held). */
static int pace_entry_for(const char *zKey, double now) {
  int iFree = -1, iOld = 0;
  for (int i = 0; i < PACE_ENTRIES; i++) {
    if (aPace[i].bUsed && strcmp(aPace[i].zKey, zKey) == 0) return i;
    if (!aPace[i].bUsed && iFree < 0) iFree = i;
    if (aPace[i].tLast < aPace[iOld].tLast) iOld = i;
  }
  int i = iFree >= 0 ? iFree : iOld;
  memset(&aPace[i], 0, sizeof(aPace[i]));
  aPace[i].bUsed = 1;
  aPace[i].tLast = now;
  snprintf(aPace[i].zKey, sizeof(aPace[i].zKey), "%s", zKey);
  return i;
}

/*
** Take a send slot for key zKey under "nLimit per rWindow seconds".
** Returns 0 and sets *piEntry / *pSeq when granted, else the seconds to
** wait before asking again. nLimit <= 0 or rWindow <= 0: no pacing.
*/
double pace_try(const char *zKey, int nLimit, double rWindow, int *piEntry, unsigned *pSeq) {
  *piEntry = -1;
  *pSeq = 0;
  if (nLimit <= 0 || rWindow <= 0) return 0;
  if (nLimit > PACE_RING) { /* same rate, smaller bursts */
    rWindow = rWindow * PACE_RING / nLimit;
    nLimit = PACE_RING;
  }
  double aIn[PACE_RING];
  int nIn = 0;
  double wait = 0;
  pthread_mutex_lock(&paceMutex);
  double now = pace_clock();
  int k = pace_entry_for(zKey, now);
  pace_entry *e = &aPace[k];
  e->tLast = now;
  for (int i = 0; i < PACE_RING; i++) {
    if (!e->aSeq[i]) continue;
    double t = e->aFlight[i] ? now : e->aT[i];
    if (t > now - rWindow) aIn[nIn++] = t;
  }
  if (nIn < nLimit) {
    int i = e->iHead;
    e->aT[i] = now;
    e->aFlight[i] = 1;
    if (++e->seqNext == 0) e->seqNext = 1;
    e->aSeq[i] = e->seqNext;
    e->iHead = (i + 1) % PACE_RING;
    *piEntry = k;
    *pSeq = e->seqNext;
  } else {
    qsort(aIn, (size_t)nIn, sizeof(double), dbl_cmp);
    wait = aIn[nIn - nLimit] + rWindow - now;
    if (wait < 0.001) wait = 0.001;
  }
  pthread_mutex_unlock(&paceMutex);
  return wait;
}

/* The request of slot (iEntry, seq) has completed (or was abandoned). */
void pace_done(int iEntry, unsigned seq) {
  if (iEntry < 0 || iEntry >= PACE_ENTRIES || seq == 0) return;
  pthread_mutex_lock(&paceMutex);
  pace_entry *e = &aPace[iEntry];
  for (int i = 0; i < PACE_RING; i++) {
    if (e->aSeq[i] == seq && e->aFlight[i]) {
      e->aFlight[i] = 0;
      e->aT[i] = pace_clock();
      break;
    }
  }
  pthread_mutex_unlock(&paceMutex);
}
