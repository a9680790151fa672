/*
** http_url.c: URL origins and URL text in messages (see http_url.h).
**
** Usage:
**   url_origin o;
**   int rc = url_origin_parse(zPageUrl, zLocation, &o);  -- a redirect's target
**   if (rc == SQLITE_OK) url_origin_text(m, &o);
**
** The origin comes from libcurl's URL parser (curl_url), the same parser
** that sends the request, so what is checked is what is sent. Calls only
** libcurl's URL API and SQLite's strings.
*/
#include "http_url.h"

#include <curl/curl.h>
#include <stdlib.h>
#include <string.h>

SQLITE_EXTENSION_INIT3

/* True if z holds a byte that may not go into a URL or a header. */
int url_has_ctl(const char *z) {
  for (; *z; z++) {
    unsigned char c = (unsigned char)*z;
    if (c < 0x20 || c == 0x7f) return 1;
  }
  return 0;
}

/* Append z[0..n) as printable ASCII (others become '?'). */
void url_append_clean(sqlite3_str *s, const char *z, size_t n) {
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)z[i];
    if (c == '\n' || c == '\r' || c == '\t') c = ' ';
    sqlite3_str_appendchar(s, 1, (c >= 0x20 && c < 0x7f) ? (char)c : '?');
  }
}

/* The path and query of an absolute URL (what error messages show). */
const char *url_path(const char *zUrl) {
  const char *p = strstr(zUrl, "://");
  if (!p) return zUrl;
  p = strchr(p + 3, '/');
  return p ? p : "/";
}

/*
** Parse zUrl (resolved against zBase when zBase is not NULL) into *o.
** Returns SQLITE_OK, SQLITE_ERROR if the URL cannot be parsed, or
** SQLITE_NOMEM when libcurl's URL parser ran out of memory (never taken
** for "no port" or "no user info": that would change the origin).
*/
int url_origin_parse(const char *zBase, const char *zUrl, url_origin *o) {
  CURLU *u = curl_url();
  char *z = 0;
  int rc = SQLITE_ERROR;
  CURLUcode uc;
  memset(o, 0, sizeof(*o));
  if (!u) return SQLITE_NOMEM;
#define URL_STEP(call)                                 \
  do {                                                 \
    uc = (call);                                       \
    if (uc == CURLUE_OUT_OF_MEMORY) rc = SQLITE_NOMEM; \
    if (uc != CURLUE_OK) goto done;                    \
  } while (0)
  if (zBase) URL_STEP(curl_url_set(u, CURLUPART_URL, zBase, CURLU_NON_SUPPORT_SCHEME));
  URL_STEP(curl_url_set(u, CURLUPART_URL, zUrl, CURLU_NON_SUPPORT_SCHEME));
  URL_STEP(curl_url_get(u, CURLUPART_SCHEME, &z, 0));
  if (strlen(z) >= sizeof(o->zScheme)) goto done;
  for (int i = 0; z[i]; i++) o->zScheme[i] = (char)((z[i] >= 'A' && z[i] <= 'Z') ? z[i] + 32 : z[i]);
  curl_free(z);
  z = 0;
  URL_STEP(curl_url_get(u, CURLUPART_HOST, &z, 0));
  if (strlen(z) >= sizeof(o->zHost)) goto done;
  for (int i = 0; z[i]; i++) o->zHost[i] = (char)((z[i] >= 'A' && z[i] <= 'Z') ? z[i] + 32 : z[i]);
  curl_free(z);
  z = 0;
  uc = curl_url_get(u, CURLUPART_PORT, &z, CURLU_DEFAULT_PORT);
  if (uc == CURLUE_OUT_OF_MEMORY) {
    rc = SQLITE_NOMEM;
    goto done;
  }
  if (uc == CURLUE_OK && z) {
    o->iPort = strtol(z, 0, 10);
    curl_free(z);
    z = 0;
  } else {
    o->iPort = strcmp(o->zScheme, "https") == 0 ? 443 : strcmp(o->zScheme, "http") == 0 ? 80 : 0;
  }
  for (int k = 0; k < 2; k++) {
    uc = curl_url_get(u, k ? CURLUPART_PASSWORD : CURLUPART_USER, &z, 0);
    curl_free(z);
    z = 0;
    if (uc == CURLUE_OUT_OF_MEMORY) {
      rc = SQLITE_NOMEM;
      goto done;
    }
    if (uc == CURLUE_OK) o->bUserinfo = 1;
  }
#undef URL_STEP
  rc = SQLITE_OK;
done:
  curl_free(z);
  curl_url_cleanup(u);
  return rc;
}

void url_origin_text(sqlite3_str *s, const url_origin *o) {
  url_append_clean(s, o->zScheme, strlen(o->zScheme));
  sqlite3_str_appendall(s, "://");
  url_append_clean(s, o->zHost, strlen(o->zHost));
  sqlite3_str_appendf(s, ":%ld", o->iPort);
}
int url_origin_same(const url_origin *a, const url_origin *b) {
  return strcmp(a->zScheme, b->zScheme) == 0 && strcmp(a->zHost, b->zHost) == 0 && a->iPort == b->iPort;
}
