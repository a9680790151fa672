/*
** jwt.h: the signed client assertion of a certificate credential (RS256 JWT),
** with OpenSSL's libcrypto. See jwt.c.
** The interface of jwt.c, whose first comment says what it calls.
*/
#ifndef PROV_JWT_H
#define PROV_JWT_H

#include <stddef.h>

/* base64url without padding of p[0..n) (sqlite3_malloc'd; NULL when out of memory). */
char *jwt_b64url(const unsigned char *p, size_t n);

/*
** Read the PEM (or PKCS#12) file zPath: a private key (encrypted with
** zPassword, which may be NULL) and its certificate, plus any chain.
** Build and sign the client assertion Microsoft's identity platform takes
** for certificate credentials:
**   header {"alg":"RS256","typ":"JWT","x5t":SHA-1 thumbprint[,"x5c":[chain]]}
**   claims {"aud":zAud,"iss":zClient,"sub":zClient,"jti":random,"nbf","iat","exp":+10 min}
** tNow is the time to put in the claims (seconds since the epoch).
** *pzJwt is sqlite3_malloc'd (the caller wipes it before freeing).
** Returns SQLITE_OK, SQLITE_NOMEM, or SQLITE_ERROR with *pzErr naming the
** cause and the fix (never a key, a password or the assertion).
*/
int jwt_client_assertion(const char *zWho, const char *zPath, const char *zPassword, int bChain,
                         const char *zClient, const char *zAud, long long tNow, char **pzJwt, char **pzErr);

#endif
