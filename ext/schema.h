/*
** schema.h: the column catalogue of provisioning_events.
**
** For each column: its SQL name and declared type, the Graph path(s) that
** fill it (v1.0 first, then the beta or older spellings; the first that
** holds a non-null value wins, so v1.0 is preferred when both are there), its value kind,
** and what Graph can filter and sort on it (the "graph profile", from
** GRAPH.md). The plan and the OData writer read only this table.
** The interface of schema.c, whose first comment says what it calls.
*/
#ifndef PROV_SCHEMA_H
#define PROV_SCHEMA_H

#include <stdint.h>

/* Value kinds. */
#define SCH_TEXT 1 /* a string; anything else comes back as JSON text */
#define SCH_TIME 2 /* DateTimeOffset, normalised to 'YYYY-MM-DD HH:MM:SS.fffffff' */
#define SCH_INT 3  /* Int32 */
#define SCH_JSON 4 /* nested array or open property bag, as JSON text */
#define SCH_RAW 5  /* the whole object */

/* Operators a source may evaluate (bit flags). */
#define SCH_OP_EQ 0x0001
#define SCH_OP_NE 0x0002
#define SCH_OP_GT 0x0004
#define SCH_OP_GE 0x0008
#define SCH_OP_LT 0x0010
#define SCH_OP_LE 0x0020
#define SCH_OP_CONTAINS 0x0040
#define SCH_OP_STARTSWITH 0x0080
#define SCH_OP_NULL 0x0100 /* eq null / ne null */

typedef struct sch_column {
  const char *zName;   /* SQL column name */
  const char *zDecl;   /* declared type */
  int eKind;           /* SCH_* */
  const char *azPath[3]; /* Graph paths, '/'-separated; NULL-terminated */
  unsigned graphOps;   /* operators Graph's $filter accepts */
  int bGraphSort;      /* Graph's $orderby accepts it */
  int bCaseFold;       /* Graph may compare it case-insensitively */
} sch_column;

#define EV_COLUMN_ID 0
#define EV_COLUMN_ACTIVITY_DATE_TIME 1
#define EV_COLUMN_DURATION_MS 7
#define EV_COLUMN_STATUS 8
#define EV_COLUMN_PROVISIONING_STEPS 33
#define EV_COLUMN_MODIFIED_PROPERTIES 34
#define EV_COLUMN_RAW 35
#define EV_NCOLUMN 36

extern const sch_column sch_events[EV_NCOLUMN];

/* The CREATE TABLE text for sqlite3_declare_vtab() (sqlite3_malloc'd). */
char *sch_events_ddl(void);

/* Column index by SQL name, or -1. */
int sch_events_find(const char *zName);

/*
** Graph's top-level property names needed to fill the columns in the
** colUsed mask, comma-separated, for $select; NULL when the whole object
** is needed (raw, or a column with no single property). sqlite3_malloc'd.
*/
char *sch_events_select(uint64_t colUsed);

#endif
