/*
** jsmn_floor.c: the floor for the file scan, the bare jsmn tokenisation of
** the same bytes.
**
**   jsmn_floor FILE
**
** Reads FILE (a Graph page {"value":[...]}, any size) in 16 MiB chunks,
** finds each event object of the "value" array with a minimal string-aware
** brace scan, and tokenises each object with jsmn (JSMN_STRICT,
** JSMN_PARENT_LINKS), nothing else: no validation beyond jsmn's, no values
** decoded, no rows. Prints
**   events=N tokens=T bytes=B seconds=S mb_per_s=M
** (MB = 10^6 bytes; the time is the whole read + split + tokenise, on a
** monotonic clock).
*/
#define _GNU_SOURCE /* memmem */
#define JSMN_STRICT
#define JSMN_PARENT_LINKS
#define JSMN_STATIC
#include <jsmn.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define CHUNK (16u << 20)

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* End (one past the closing brace) of the object starting at z[0] == '{',
** or 0 when it is not complete within n bytes. */
static size_t object_end(const char *z, size_t n) {
  size_t i;
  int depth = 0;
  for (i = 0; i < n; i++) {
    char c = z[i];
    if (c == '"') {
      for (i++; i < n && z[i] != '"'; i++)
        if (z[i] == '\\') i++;
      if (i >= n) return 0;
    } else if (c == '{' || c == '[') {
      depth++;
    } else if (c == '}' || c == ']') {
      if (--depth == 0) return i + 1;
    }
  }
  return 0;
}

int main(int argc, char **argv) {
  FILE *f;
  char *buf;
  size_t cap = CHUNK * 2, have = 0, pos = 0, nRead;
  unsigned ntok = 4096;
  jsmntok_t *tok;
  long long nEv = 0, nTok = 0, nBytes = 0;
  int inValue = 0, eof = 0, need = 0;
  double t0;
  if (argc < 2) { fprintf(stderr, "usage: jsmn_floor FILE\n"); return 2; }
  t0 = now_s();
  f = fopen(argv[1], "rb");
  if (!f) { perror(argv[1]); return 1; }
  buf = malloc(cap);
  tok = malloc(sizeof(*tok) * ntok);
  if (!buf || !tok) return 1;
  for (;;) {
    /* refill: keep the unread tail, append a chunk */
    if (!eof && (need || have - pos < CHUNK)) {
      need = 0;
      memmove(buf, buf + pos, have - pos);
      have -= pos;
      pos = 0;
      if (cap - have < CHUNK) {
        cap *= 2;
        buf = realloc(buf, cap);
        if (!buf) return 1;
      }
      nRead = fread(buf + have, 1, CHUNK, f);
      nBytes += nRead;
      have += nRead;
      if (nRead == 0) eof = 1;
    }
    if (!inValue) {
      /* skip to the '[' of "value" */
      char *v = memmem(buf + pos, have - pos, "\"value\"", 7);
      char *b = v ? memchr(v, '[', buf + have - v) : 0;
      if (!b) {
        if (eof) break;
        pos = have > 8 ? have - 8 : pos;
        need = 1;
        continue;
      }
      pos = b + 1 - buf;
      inValue = 1;
    }
    while (pos < have && (buf[pos] == ' ' || buf[pos] == '\n' || buf[pos] == '\r' ||
                          buf[pos] == '\t' || buf[pos] == ','))
      pos++;
    if (pos >= have) {
      if (eof) break;
      need = 1;
      continue;
    }
    if (buf[pos] == ']') break; /* end of the page (one page per file) */
    if (buf[pos] != '{') { fprintf(stderr, "jsmn_floor: unexpected byte at %zu\n", pos); return 1; }
    {
      size_t e = object_end(buf + pos, have - pos);
      jsmn_parser p;
      int r;
      if (e == 0) {
        if (eof) { fprintf(stderr, "jsmn_floor: truncated\n"); return 1; }
        need = 1;
        continue; /* refill (the buffer grows when an object exceeds it) */
      }
      for (;;) {
        jsmn_init(&p);
        r = jsmn_parse(&p, buf + pos, e, tok, ntok);
        if (r != JSMN_ERROR_NOMEM) break;
        ntok *= 2;
        tok = realloc(tok, sizeof(*tok) * ntok);
        if (!tok) return 1;
      }
      if (r < 0) { fprintf(stderr, "jsmn_floor: jsmn error %d at event %lld\n", r, nEv); return 1; }
      nTok += r;
      nEv++;
      pos += e;
    }
  }
  /* account for the rest of the file (read but not tokenised: the trailer) */
  while ((nRead = fread(buf, 1, CHUNK, f)) > 0) nBytes += nRead;
  fclose(f);
  {
    double s = now_s() - t0;
    printf("events=%lld tokens=%lld bytes=%lld seconds=%.4f mb_per_s=%.1f\n", nEv, nTok, nBytes, s,
           nBytes / s / 1e6);
  }
  free(buf);
  free(tok);
  return 0;
}
