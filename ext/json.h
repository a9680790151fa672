/*
** json.h: strict JSON validation, jsmn tokenising and the helpers every
** module uses to read Graph objects.
**
** jsmn alone is lax (it accepts trailing commas, missing commas and bad
** literals), so text is first checked by pj_value_end(), a non-recursive
** validator that also reports the byte offset of the first error; only
** then is it tokenised with jsmn (JSMN_STRICT, JSMN_PARENT_LINKS).
*/
#ifndef PROV_JSON_H
#define PROV_JSON_H

#define JSMN_STRICT
#define JSMN_PARENT_LINKS
#ifndef PROV_JSMN_IMPL
#define JSMN_HEADER
#endif
#include <jsmn.h>
#include <stddef.h>
#include <stdint.h>

#include "sqlite3ext.h"

/* Deepest nesting accepted anywhere (Graph objects nest about 5 deep). */
#define PJ_MAX_DEPTH 512
/* Most tokens one object may hold (bounds memory on hostile input). */
#define PJ_MAX_TOKENS 4000000

/* Results of pj_value_end(). */
#define PJ_OK 0
#define PJ_MORE 1  /* the text ended inside the value: more bytes needed */
#define PJ_ERROR 2 /* syntax error at *pErrOff, reason in *pzWhy */

/*
** Check that z[0..n) starts with one complete JSON value (leading
** whitespace allowed). On PJ_OK, *pEnd is the offset just past the value.
** On PJ_ERROR, *pErrOff is the offset of the offending byte and *pzWhy a
** static description ("trailing comma", "expected ':'", ...). On PJ_MORE,
** the value is incomplete (a streaming reader fetches more and retries).
** No recursion; nesting deeper than PJ_MAX_DEPTH is an error.
*/
int pj_value_end(const char *z, size_t n, size_t *pEnd, size_t *pErrOff,
                 const char **pzWhy);

/*
** The members of an object, as byte offsets into the text given to
** pj_value_members(): key (without its quotes) and value (the whole JSON
** value text, quotes included for strings).
*/
typedef struct pj_member {
  int iKey, nKey;
  int iVal, nVal;
} pj_member;
#define PJ_MAX_MEMBERS 48

/*
** pj_value_end(), also recording the top-level members when the value is
** an object: *pnMember is their count, or -1 when the value is not an
** object or has more than PJ_MAX_MEMBERS members.
*/
int pj_value_members(const char *z, size_t n, size_t *pEnd, size_t *pErrOff, const char **pzWhy,
                     pj_member *aMember, int *pnMember);

/*
** Is z[0..n) exactly one JSON value, with nothing but whitespace around
** it? PJ_OK (and *pbObject set when it is an object, if pbObject is not
** NULL), or PJ_ERROR with the offset and reason of the first fault
** ("unexpected end" at n, "text after the JSON value", or the syntax error).
*/
int pj_check_one(const char *z, size_t n, size_t *pErrOff, const char **pzWhy, int *pbObject);

/*
** Walking text that pj_value_end() has accepted, without tokenising it
** (nothing is checked again; offsets are bytes into z).
** pj_text_string_end: just past the string whose opening quote is at z[i].
** pj_text_value_end: just past the value starting at z[i] (no whitespace
**   before it).
** pj_text_member: the value of the first member named zKey (raw key bytes,
**   as in the text) of the object z[0..n): 1 with its span, or 0.
** pj_text_path: the same through a '/'-separated path of member names.
** pj_text_next_member: the members of an object one by one: start with
**   *pi at the object's '{' (0 for z[0..n) of an object), then each call
**   fills *pM and moves *pi past the member; 0 when there are no more.
*/
size_t pj_text_string_end(const char *z, size_t n, size_t i);
size_t pj_text_value_end(const char *z, size_t n, size_t i);
int pj_text_member(const char *z, size_t n, const char *zKey, size_t nKey, size_t *pOff, size_t *pLen);
int pj_text_path(const char *z, size_t n, const char *zPath, size_t *pOff, size_t *pLen);
int pj_text_next_member(const char *z, size_t n, size_t *pi, pj_member *pM);
/* Offset of the first whitespace outside strings (validated text), or n. */
size_t pj_text_first_ws(const char *z, size_t n);

/* Skip JSON whitespace from offset i; returns the first other offset. */
size_t pj_skip_ws(const char *z, size_t n, size_t i);

/* 1-based line and column (in bytes) of offset off in z. */
void pj_line_col(const char *z, size_t off, int *pLine, int *pCol);

/* A tokenised JSON text. The text is not copied: z must outlive the doc. */
typedef struct pj_doc {
  const char *z;
  int n;
  jsmntok_t *aTok;
  int nTok;
  int nAlloc;
} pj_doc;

/*
** Tokenise z[0..n) (already validated). Reuses and grows d->aTok.
** Returns SQLITE_OK, SQLITE_NOMEM, SQLITE_TOOBIG (over PJ_MAX_TOKENS) or
** SQLITE_ERROR (jsmn refused it).
*/
int pj_parse(pj_doc *d, const char *z, size_t n);
void pj_doc_free(pj_doc *d);

/* Index of the token after the whole subtree of token i. */
int pj_skip(const pj_doc *d, int i);

/* Value token of key zKey (nKey bytes) in object iObj, or -1. */
int pj_find(const pj_doc *d, int iObj, const char *zKey, int nKey);

/* Value token at a '/'-separated path below object iObj, or -1. */
int pj_path(const pj_doc *d, int iObj, const char *zPath);

/* True if token i is a JSON null. */
int pj_is_null(const pj_doc *d, int i);

/* True if token i is the string z (raw bytes compared, n bytes). */
int pj_str_eq(const pj_doc *d, int i, const char *z, int n);

/*
** Decode the JSON string body z[0..n) (no quotes) into zOut, which must
** have room for n bytes (decoding never grows the text). \uXXXX escapes
** become UTF-8, surrogate pairs included. Returns the output length, or
** -1 for an invalid escape or a lone or misordered surrogate, with the
** offset of the bad escape in *pErrOff when pErrOff is not NULL.
*/
int pj_unescape(const char *z, size_t n, char *zOut, size_t *pErrOff);

/* True if z[0..n) holds a backslash (needs pj_unescape). */
int pj_has_escape(const char *z, size_t n);

/*
** Set the SQL result from token i:
**   string     -> TEXT (unescaped)
**   number     -> INTEGER when integral and in range, else REAL
**   true/false -> 1 / 0
**   null       -> NULL
**   object/array -> TEXT holding the JSON text
** pj_result_text() is the same except that numbers and booleans come back
** as their JSON text (TEXT columns must stay TEXT). Both return SQLITE_OK,
** or SQLITE_ERROR after setting an error on ctx for an invalid escape.
*/
int pj_result(sqlite3_context *ctx, const pj_doc *d, int i);
int pj_result_text(sqlite3_context *ctx, const pj_doc *d, int i);

/*
** Read token i as an integer: SQLITE_OK and *pOut when it is a JSON
** number with an integral value in range, else SQLITE_MISMATCH.
*/
int pj_int64(const pj_doc *d, int i, sqlite3_int64 *pOut);

/*
** Copy the validated JSON text z[0..n) to zOut (room for n bytes) without
** the whitespace between tokens. Returns the output length.
*/
int pj_minify(const char *z, size_t n, char *zOut);

/* FNV-1a 64-bit hash, for stable rowids. */
sqlite3_uint64 pj_hash64(const char *z, size_t n);

#endif
