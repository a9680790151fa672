/*
** odata_forms.c: names of the OData forms, the process-wide memory of the
** forms each origin refused, and the choice of the form to leave out of a
** retry after a 400 (see odata_forms.h). Calls only SQLite's string and
** memory functions and pthreads; no I/O.
*/
#include "odata_forms.h"

#include <pthread.h>
#include <string.h>

#include "sqlite3ext.h"

SQLITE_EXTENSION_INIT3

/* In the order a retry leaves them out when the answer names none. */
static const struct {
  unsigned form;
  const char *zName;
  const char *azHint[3]; /* how an error message names it */
} aForm[] = {
    {ODATA_FORM_OR, "or", {"'or'", "\"or\"", " or operator"}},
    {ODATA_FORM_SELECT, "$select", {"$select", 0, 0}},
    {ODATA_FORM_CONTAINS, "contains", {"'contains'", "contains is not", 0}},
    {ODATA_FORM_ORDERBY, "$orderby", {"$orderby", 0, 0}},
    {ODATA_FORM_AND, "and", {"'and'", "\"and\"", 0}},
    {ODATA_FORM_TOP, "$top", {"$top", 0, 0}},
    {ODATA_FORM_CMP, "gt/lt", {"'gt'", "'lt'", 0}},
    {ODATA_FORM_EQ, "eq", {"'eq'", 0, 0}},
};
#define N_FORM ((int)(sizeof(aForm) / sizeof(aForm[0])))

const char *odata_form_name(unsigned form) {
  for (int i = 0; i < N_FORM; i++) {
    if (aForm[i].form == form) return aForm[i].zName;
  }
  return "?";
}

void odata_forms_append(sqlite3_str *s, unsigned mask, int bJson) {
  int n = 0;
  for (int i = 0; i < N_FORM; i++) {
    if (!(mask & aForm[i].form)) continue;
    if (bJson) sqlite3_str_appendf(s, "%s\"%s\"", n ? "," : "", aForm[i].zName);
    else sqlite3_str_appendf(s, "%s%s", n ? ", " : "", aForm[i].zName);
    n++;
  }
}

/* ---------------------------------------------------------- memory */

#define REFUSED_ENTRIES 32

static struct {
  char zOrigin[300];
  unsigned mask;
} aRefused[REFUSED_ENTRIES];
static int nRefused;
static pthread_mutex_t refusedMutex = PTHREAD_MUTEX_INITIALIZER;

unsigned odata_refused_get(const char *zOrigin) {
  unsigned m = 0;
  if (!zOrigin) return 0;
  pthread_mutex_lock(&refusedMutex);
  for (int i = 0; i < nRefused; i++) {
    if (strcmp(aRefused[i].zOrigin, zOrigin) == 0) m = aRefused[i].mask;
  }
  pthread_mutex_unlock(&refusedMutex);
  return m;
}

void odata_refused_add(const char *zOrigin, unsigned mask) {
  if (!zOrigin || !mask || strlen(zOrigin) >= sizeof(aRefused[0].zOrigin)) return;
  pthread_mutex_lock(&refusedMutex);
  int i;
  for (i = 0; i < nRefused; i++) {
    if (strcmp(aRefused[i].zOrigin, zOrigin) == 0) break;
  }
  if (i == nRefused) {
    /* full: the oldest origin's memory goes (it is only an optimisation:
       a refusal is learnt again with one more request) */
    if (nRefused == REFUSED_ENTRIES) {
      memmove(&aRefused[0], &aRefused[1], sizeof(aRefused[0]) * (REFUSED_ENTRIES - 1));
      i = --nRefused;
    }
    memcpy(aRefused[i].zOrigin, zOrigin, strlen(zOrigin) + 1);
    aRefused[i].mask = 0;
    nRefused++;
  }
  aRefused[i].mask |= mask;
  pthread_mutex_unlock(&refusedMutex);
}

void odata_refused_clear(void) {
  pthread_mutex_lock(&refusedMutex);
  nRefused = 0;
  pthread_mutex_unlock(&refusedMutex);
}

/* ------------------------------------------------------------ retry */

/* Does z hold zNeedle, ASCII case ignored? */
static int has_word(const char *z, const char *zNeedle) {
  int n = (int)strlen(zNeedle);
  for (; *z; z++) {
    if (sqlite3_strnicmp(z, zNeedle, n) == 0) return 1;
  }
  return 0;
}

unsigned odata_form_to_drop(unsigned mask, const char *zBody) {
  if (zBody) {
    for (int i = 0; i < N_FORM; i++) {
      if (!(mask & aForm[i].form)) continue;
      for (int k = 0; k < 3 && aForm[i].azHint[k]; k++) {
        if (has_word(zBody, aForm[i].azHint[k])) return aForm[i].form;
      }
    }
  }
  /* unnamed: only a form Microsoft does not document is suspected; a 400
     to a documented query is an error (it names what is wrong) */
  if (mask & ODATA_FORM_OR) return ODATA_FORM_OR;
  if (mask & ODATA_FORM_SELECT) return ODATA_FORM_SELECT;
  return 0;
}
