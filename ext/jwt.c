/*
** jwt.c: the signed client assertion of a certificate credential.
**
** Usage (through auth='azure:certificate' or the chain):
**   AZURE_TENANT_ID=... AZURE_CLIENT_ID=... AZURE_CLIENT_CERTIFICATE_PATH=app.pem sqlite3
**   CREATE VIRTUAL TABLE ev USING provisioning_events(
**       source='https://graph.microsoft.com/v1.0', auth='azure:certificate');
**
** How it works:
**   The file holds a private key and its certificate (PEM, the key possibly
**   encrypted with AZURE_CLIENT_CERTIFICATE_PASSWORD; or a PKCS#12 file).
**   The certificate is the one whose public key matches the key; the other
**   certificates of the file are its chain. The assertion is the JWT
**   Microsoft's identity platform documents for certificate credentials:
**   header alg RS256, typ JWT, x5t = base64url SHA-1 thumbprint of the DER
**   certificate (x5c = the chain as base64 DER, leaf first, when asked),
**   claims aud = the token endpoint, iss = sub = the client id, a random
**   jti, nbf = iat = now, exp = now + 10 minutes. All crypto, base64
**   included, is OpenSSL's (EVP_DigestSign, PEM_read_bio_PrivateKey,
**   X509_digest, EVP_EncodeBlock); key material and the file's bytes are
**   wiped before they are freed.
**
** It may call OpenSSL and SQLite's allocator only.
*/
#include "jwt.h"

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <string.h>

#include "sqlite3ext.h"
SQLITE_EXTENSION_INIT3

#define JWT_MAX_FILE (1024 * 1024)
#define JWT_MAX_CERTS 16
#define JWT_LIFETIME 600

/* base64 of p[0..n); base64url without padding when bUrl. */
static char *b64(const unsigned char *p, size_t n, int bUrl) {
  if (n > 0x3fffffff) return 0;
  unsigned char *z = sqlite3_malloc64(4 * ((n + 2) / 3) + 1);
  if (!z) return 0;
  int k = EVP_EncodeBlock(z, p, (int)n);
  if (k < 0) k = 0;
  z[k] = 0;
  if (bUrl) {
    for (int i = 0; i < k; i++) {
      if (z[i] == '+') z[i] = '-';
      else if (z[i] == '/') z[i] = '_';
    }
    while (k > 0 && z[k - 1] == '=') z[--k] = 0;
  }
  return (char *)z;
}

char *jwt_b64url(const unsigned char *p, size_t n) { return b64(p, n, 1); }

/* A JSON string literal of z. */
static void json_str(sqlite3_str *m, const char *z) {
  sqlite3_str_appendchar(m, 1, '"');
  for (; *z; z++) {
    unsigned char c = (unsigned char)*z;
    if (c == '"' || c == '\\') {
      sqlite3_str_appendchar(m, 1, '\\');
      sqlite3_str_appendchar(m, 1, (char)c);
    } else if (c < 0x20) {
      sqlite3_str_appendf(m, "\\u%04x", c);
    } else {
      sqlite3_str_appendchar(m, 1, (char)c);
    }
  }
  sqlite3_str_appendchar(m, 1, '"');
}

typedef struct pw_state {
  const char *zPassword;
  int bAsked;
} pw_state;

/* OpenSSL asks for the key's password: never from the terminal. */
static int pw_cb(char *buf, int size, int rwflag, void *u) {
  pw_state *p = (pw_state *)u;
  (void)rwflag;
  p->bAsked = 1;
  if (!p->zPassword) return -1;
  size_t n = strlen(p->zPassword);
  if (n > (size_t)size) return -1;
  memcpy(buf, p->zPassword, n);
  return (int)n;
}

static int no_pw_cb(char *buf, int size, int rwflag, void *u) {
  (void)buf, (void)size, (void)rwflag, (void)u;
  return -1;
}

/* The file's bytes (wiped and freed by the caller with wipe_buf()). */
static int read_all(const char *zWho, const char *zPath, unsigned char **pz, size_t *pn, char **pzErr) {
  FILE *f = fopen(zPath, "rb");
  if (!f) {
    *pzErr = sqlite3_mprintf("%s: AZURE_CLIENT_CERTIFICATE_PATH: cannot open %s", zWho, zPath);
    return *pzErr ? SQLITE_ERROR : SQLITE_NOMEM;
  }
  unsigned char *z = sqlite3_malloc64(JWT_MAX_FILE + 1);
  if (!z) {
    fclose(f);
    return SQLITE_NOMEM;
  }
  size_t n = fread(z, 1, JWT_MAX_FILE + 1, f);
  int bErr = ferror(f);
  fclose(f);
  if (bErr || n > JWT_MAX_FILE || n == 0) {
    OPENSSL_cleanse(z, n);
    sqlite3_free(z);
    *pzErr = sqlite3_mprintf("%s: AZURE_CLIENT_CERTIFICATE_PATH: %s %s", zWho, zPath,
                             bErr ? "cannot be read" : n == 0 ? "is empty" : "is larger than 1 MiB");
    return *pzErr ? SQLITE_ERROR : SQLITE_NOMEM;
  }
  z[n] = 0;
  *pz = z;
  *pn = n;
  return SQLITE_OK;
}

static void wipe_buf(unsigned char *z, size_t n) {
  if (z) {
    OPENSSL_cleanse(z, n);
    sqlite3_free(z);
  }
}

/* The key and the certificates of a PEM or PKCS#12 file. */
typedef struct cert_set {
  EVP_PKEY *pKey;
  X509 *aCert[JWT_MAX_CERTS];
  int nCert;
  int iLeaf;
} cert_set;

static void cert_set_clear(cert_set *c) {
  EVP_PKEY_free(c->pKey); /* OpenSSL clears private key material when it frees it */
  for (int i = 0; i < c->nCert; i++) X509_free(c->aCert[i]);
  memset(c, 0, sizeof(*c));
}

#define CERT_ERR(...)                             \
  do {                                            \
    *pzErr = sqlite3_mprintf(__VA_ARGS__);        \
    rc = *pzErr ? SQLITE_ERROR : SQLITE_NOMEM;    \
    goto done;                                    \
  } while (0)

static int load_pem(const char *zWho, const char *zPath, const unsigned char *z, size_t n, const char *zPassword,
                    cert_set *c, char **pzErr) {
  int rc = SQLITE_OK;
  pw_state pw = {zPassword, 0};
  BIO *b = BIO_new_mem_buf(z, (int)n);
  if (!b) return SQLITE_NOMEM;
  c->pKey = PEM_read_bio_PrivateKey(b, 0, pw_cb, &pw);
  BIO_free(b);
  if (!c->pKey) {
    if (pw.bAsked && !zPassword) {
      CERT_ERR("%s: the private key in AZURE_CLIENT_CERTIFICATE_PATH (%s) is encrypted: set "
               "AZURE_CLIENT_CERTIFICATE_PASSWORD",
               zWho, zPath);
    } else if (pw.bAsked) {
      CERT_ERR("%s: cannot decrypt the private key in AZURE_CLIENT_CERTIFICATE_PATH (%s): wrong "
               "AZURE_CLIENT_CERTIFICATE_PASSWORD?",
               zWho, zPath);
    }
    CERT_ERR("%s: AZURE_CLIENT_CERTIFICATE_PATH (%s) holds no readable private key: it must be a PEM file with "
             "the private key and the certificate (or a PKCS#12 file)",
             zWho, zPath);
  }
  b = BIO_new_mem_buf(z, (int)n);
  if (!b) return SQLITE_NOMEM;
  X509 *x;
  while (c->nCert < JWT_MAX_CERTS && (x = PEM_read_bio_X509(b, 0, no_pw_cb, 0)) != 0) c->aCert[c->nCert++] = x;
  BIO_free(b);
done:
  ERR_clear_error();
  return rc;
}

static int load_p12(const char *zWho, const char *zPath, const unsigned char *z, size_t n, const char *zPassword,
                    cert_set *c, char **pzErr) {
  int rc = SQLITE_OK;
  const unsigned char *p = z;
  PKCS12 *p12 = d2i_PKCS12(0, &p, (long)n);
  X509 *pCert = 0;
  STACK_OF(X509) *pCa = 0;
  if (!p12) {
    CERT_ERR("%s: AZURE_CLIENT_CERTIFICATE_PATH (%s) is neither a PEM file (private key and certificate) nor a "
             "PKCS#12 file",
             zWho, zPath);
  }
  if (!PKCS12_parse(p12, zPassword ? zPassword : "", &c->pKey, &pCert, &pCa) || !c->pKey) {
    CERT_ERR("%s: cannot open the PKCS#12 file AZURE_CLIENT_CERTIFICATE_PATH (%s): wrong or missing "
             "AZURE_CLIENT_CERTIFICATE_PASSWORD, or no private key in it",
             zWho, zPath);
  }
  if (pCert) {
    c->aCert[c->nCert++] = pCert;
    pCert = 0;
  }
  while (pCa && sk_X509_num(pCa) > 0 && c->nCert < JWT_MAX_CERTS) c->aCert[c->nCert++] = sk_X509_shift(pCa);
done:
  X509_free(pCert);
  if (pCa) sk_X509_pop_free(pCa, X509_free);
  PKCS12_free(p12);
  ERR_clear_error();
  return rc;
}

/* Base64 (bUrl: base64url) of the DER form of x, or of its SHA-1 digest (bThumb). */
static char *cert_text(X509 *x, int bThumb) {
  if (bThumb) {
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int nMd = 0;
    if (!X509_digest(x, EVP_sha1(), md, &nMd)) return 0;
    return b64(md, nMd, 1);
  }
  unsigned char *pDer = 0;
  int nDer = i2d_X509(x, &pDer);
  if (nDer <= 0) return 0;
  char *z = b64(pDer, (size_t)nDer, 0);
  OPENSSL_free(pDer);
  return z;
}

int jwt_client_assertion(const char *zWho, const char *zPath, const char *zPassword, int bChain,
                         const char *zClient, const char *zAud, long long tNow, char **pzJwt, char **pzErr) {
  unsigned char *zFile = 0, *pSig = 0;
  size_t nFile = 0, nSig = 0;
  cert_set c;
  char *zHead = 0, *zClaims = 0, *zIn = 0, *zSig = 0;
  EVP_MD_CTX *md = 0;
  int rc;
  memset(&c, 0, sizeof(c));
  *pzJwt = 0;
  rc = read_all(zWho, zPath, &zFile, &nFile, pzErr);
  if (rc) return rc;
  if (strstr((const char *)zFile, "-----BEGIN")) {
    rc = load_pem(zWho, zPath, zFile, nFile, zPassword, &c, pzErr);
  } else {
    rc = load_p12(zWho, zPath, zFile, nFile, zPassword, &c, pzErr);
  }
  if (rc) goto done;
  if (EVP_PKEY_get_base_id(c.pKey) != EVP_PKEY_RSA) {
    CERT_ERR("%s: the private key in AZURE_CLIENT_CERTIFICATE_PATH (%s) is not an RSA key (client assertions are "
             "signed RS256)",
             zWho, zPath);
  }
  c.iLeaf = -1;
  for (int i = 0; i < c.nCert && c.iLeaf < 0; i++) {
    if (X509_check_private_key(c.aCert[i], c.pKey) == 1) c.iLeaf = i;
  }
  ERR_clear_error();
  if (c.iLeaf < 0) {
    CERT_ERR("%s: AZURE_CLIENT_CERTIFICATE_PATH (%s) holds %s: put the certificate in the same file as its "
             "private key",
             zWho, zPath, c.nCert ? "no certificate matching the private key" : "a private key but no certificate");
  }

  /* header */
  sqlite3_str *m = sqlite3_str_new(0);
  char *zT = cert_text(c.aCert[c.iLeaf], 1);
  if (!zT) {
    sqlite3_free(sqlite3_str_finish(m));
    rc = SQLITE_NOMEM;
    goto done;
  }
  sqlite3_str_appendf(m, "{\"alg\":\"RS256\",\"typ\":\"JWT\",\"x5t\":\"%s\"", zT);
  sqlite3_free(zT);
  if (bChain) {
    sqlite3_str_appendall(m, ",\"x5c\":[");
    for (int k = 0; k < c.nCert; k++) {
      int i = k == 0 ? c.iLeaf : (k <= c.iLeaf ? k - 1 : k);
      char *zC = cert_text(c.aCert[i], 0);
      if (!zC) {
        sqlite3_free(sqlite3_str_finish(m));
        rc = SQLITE_NOMEM;
        goto done;
      }
      sqlite3_str_appendf(m, "%s\"%s\"", k ? "," : "", zC);
      sqlite3_free(zC);
    }
    sqlite3_str_appendchar(m, 1, ']');
  }
  sqlite3_str_appendchar(m, 1, '}');
  zT = sqlite3_str_finish(m);
  if (!zT) {
    rc = SQLITE_NOMEM;
    goto done;
  }
  zHead = b64((const unsigned char *)zT, strlen(zT), 1);
  sqlite3_free(zT);

  /* claims */
  unsigned char aJti[16];
  if (RAND_bytes(aJti, sizeof(aJti)) != 1) {
    CERT_ERR("%s: OpenSSL could not make random bytes for the assertion's jti", zWho);
  }
  aJti[6] = (unsigned char)((aJti[6] & 0x0f) | 0x40); /* a version-4 UUID */
  aJti[8] = (unsigned char)((aJti[8] & 0x3f) | 0x80);
  m = sqlite3_str_new(0);
  sqlite3_str_appendall(m, "{\"aud\":");
  json_str(m, zAud);
  sqlite3_str_appendall(m, ",\"iss\":");
  json_str(m, zClient);
  sqlite3_str_appendall(m, ",\"sub\":");
  json_str(m, zClient);
  sqlite3_str_appendall(m, ",\"jti\":\"");
  for (int i = 0; i < 16; i++) {
    sqlite3_str_appendf(m, "%s%02x", (i == 4 || i == 6 || i == 8 || i == 10) ? "-" : "", aJti[i]);
  }
  sqlite3_str_appendf(m, "\",\"nbf\":%lld,\"iat\":%lld,\"exp\":%lld}", tNow, tNow, tNow + JWT_LIFETIME);
  zT = sqlite3_str_finish(m);
  if (!zT || !zHead) {
    sqlite3_free(zT);
    rc = SQLITE_NOMEM;
    goto done;
  }
  zClaims = b64((const unsigned char *)zT, strlen(zT), 1);
  sqlite3_free(zT);
  if (!zClaims) {
    rc = SQLITE_NOMEM;
    goto done;
  }
  zIn = sqlite3_mprintf("%s.%s", zHead, zClaims);
  if (!zIn) {
    rc = SQLITE_NOMEM;
    goto done;
  }

  /* signature */
  md = EVP_MD_CTX_new();
  if (!md) {
    rc = SQLITE_NOMEM;
    goto done;
  }
  if (EVP_DigestSignInit(md, 0, EVP_sha256(), 0, c.pKey) != 1 ||
      EVP_DigestSign(md, 0, &nSig, (const unsigned char *)zIn, strlen(zIn)) != 1 ||
      (pSig = sqlite3_malloc64(nSig ? nSig : 1)) == 0 ||
      EVP_DigestSign(md, pSig, &nSig, (const unsigned char *)zIn, strlen(zIn)) != 1) {
    if (pSig == 0 && nSig) {
      rc = SQLITE_NOMEM;
      goto done;
    }
    CERT_ERR("%s: OpenSSL could not sign the client assertion with the key of AZURE_CLIENT_CERTIFICATE_PATH (%s)",
             zWho, zPath);
  }
  zSig = b64(pSig, nSig, 1);
  if (!zSig) {
    rc = SQLITE_NOMEM;
    goto done;
  }
  *pzJwt = sqlite3_mprintf("%s.%s", zIn, zSig);
  rc = *pzJwt ? SQLITE_OK : SQLITE_NOMEM;
done:
  ERR_clear_error();
  EVP_MD_CTX_free(md);
  cert_set_clear(&c);
  wipe_buf(zFile, nFile);
  if (pSig) OPENSSL_cleanse(pSig, nSig);
  sqlite3_free(pSig);
  sqlite3_free(zHead);
  sqlite3_free(zClaims);
  if (zIn) OPENSSL_cleanse(zIn, strlen(zIn));
  sqlite3_free(zIn);
  sqlite3_free(zSig);
  return rc;
}
