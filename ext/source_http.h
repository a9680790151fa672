/*
** source_http.h: the Microsoft Graph source (source_http.c), over libcurl.
**
** source_http_open() itself is declared in source.h with the other
** sources. This header adds what the entry point needs.
** The interface of source_http.c, whose first comment says what it calls.
*/
#ifndef PROV_SOURCE_HTTP_H
#define PROV_SOURCE_HTTP_H

/*
** curl_global_init(), exactly once per process and thread-safe
** (pthread_once; http_global_init() of http.c). The entry point calls it;
** source_http_open() calls it too, so callers that skip it are still safe.
** Returns SQLITE_OK or SQLITE_ERROR when libcurl could not be initialised.
*/
int source_http_global_init(void);

#endif
