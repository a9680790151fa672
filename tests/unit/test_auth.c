/*
** Unit tests of the Azure credential chain's pure parts: base64url, the
** signed client assertion (verified here with OpenSSL against a certificate
** made here), reading token answers, which credential the chain picks, and
** the managed identity requests.
*/
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "auth_azure.h"
#include "jwt.h"
#include "unit.h"

static const char *const azVars[] = {"AZURE_TENANT_ID", "AZURE_CLIENT_ID", "AZURE_CLIENT_SECRET",
                                     "AZURE_CLIENT_CERTIFICATE_PATH", "AZURE_CLIENT_CERTIFICATE_PASSWORD",
                                     "AZURE_CLIENT_SEND_CERTIFICATE_CHAIN", "AZURE_FEDERATED_TOKEN_FILE",
                                     "IDENTITY_ENDPOINT", "IDENTITY_HEADER", "AZURE_POD_IDENTITY_AUTHORITY_HOST", 0};

static void clear_env(void) {
  for (int i = 0; azVars[i]; i++) unsetenv(azVars[i]);
  setenv("PATH", "/nonexistent", 1); /* no az */
}

static void test_b64url(void) {
  const struct {
    const char *z;
    size_t n;
    const char *want;
  } a[] = {{"", 0, ""}, {"f", 1, "Zg"}, {"fo", 2, "Zm8"}, {"foo", 3, "Zm9v"}, {"\xfb\xff", 2, "-_8"},
           {"\xff\xfe\xfd", 3, "__79"}};
  for (size_t i = 0; i < sizeof(a) / sizeof(a[0]); i++) {
    char *z = jwt_b64url((const unsigned char *)a[i].z, a[i].n);
    CHECK_STR(z, a[i].want);
    sqlite3_free(z);
  }
}

/* base64url text z[0..n) decoded (malloc'd, NUL-terminated). */
static unsigned char *unb64url(const char *z, size_t n, int *pn) {
  char *t = malloc(n + 4);
  memcpy(t, z, n);
  for (size_t i = 0; i < n; i++) t[i] = t[i] == '-' ? '+' : t[i] == '_' ? '/' : t[i];
  size_t m = n;
  while (m % 4) t[m++] = '=';
  unsigned char *out = malloc(m + 1);
  int k = EVP_DecodeBlock(out, (unsigned char *)t, (int)m);
  int pad = (int)(m - n);
  free(t);
  if (k < 0) {
    free(out);
    return 0;
  }
  k -= pad;
  out[k] = 0;
  *pn = k;
  return out;
}

/* A self-signed RSA certificate and its key, PEM, written to zPath (key encrypted with zPw when not NULL). */
static X509 *make_cert(const char *zPath, const char *zPw, int bCertFirst) {
  EVP_PKEY *k = EVP_RSA_gen(2048);
  X509 *x = X509_new();
  ASN1_INTEGER_set(X509_get_serialNumber(x), 7);
  X509_gmtime_adj(X509_getm_notBefore(x), 0);
  X509_gmtime_adj(X509_getm_notAfter(x), 3600);
  X509_set_pubkey(x, k);
  X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_ASC, (const unsigned char *)"unit", -1, -1, 0);
  X509_set_issuer_name(x, X509_get_subject_name(x));
  X509_sign(x, k, EVP_sha256());
  FILE *f = fopen(zPath, "w");
  if (bCertFirst) PEM_write_X509(f, x);
  PEM_write_PrivateKey(f, k, zPw ? EVP_aes_256_cbc() : 0, 0, 0, 0, (void *)zPw);
  if (!bCertFirst) PEM_write_X509(f, x);
  fclose(f);
  EVP_PKEY_free(k);
  return x;
}

static void test_assertion(void) {
  const char *zAud = "https://login.microsoftonline.com/tenant-1/oauth2/v2.0/token";
  X509 *x = make_cert("unit_app.pem", 0, 0);
  char *zJwt = 0, *zErr = 0;
  int rc = jwt_client_assertion("t", "unit_app.pem", 0, 0, "client-\"1", zAud, 1700000000, &zJwt, &zErr);
  CHECK(rc == 0 && zJwt);
  if (zErr) fprintf(stderr, "%s\n", zErr);
  if (!zJwt) return;
  char *d1 = strchr(zJwt, '.'), *d2 = d1 ? strchr(d1 + 1, '.') : 0;
  CHECK(d1 && d2 && !strchr(d2 + 1, '.'));
  if (!d2) return;
  int nH, nC, nS;
  unsigned char *h = unb64url(zJwt, (size_t)(d1 - zJwt), &nH);
  unsigned char *c = unb64url(d1 + 1, (size_t)(d2 - d1 - 1), &nC);
  unsigned char *sig = unb64url(d2 + 1, strlen(d2 + 1), &nS);
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int nMd;
  X509_digest(x, EVP_sha1(), md, &nMd);
  char *zT = jwt_b64url(md, nMd);
  char zWantH[200];
  snprintf(zWantH, sizeof(zWantH), "{\"alg\":\"RS256\",\"typ\":\"JWT\",\"x5t\":\"%s\"}", zT);
  CHECK_STR((char *)h, zWantH);
  const char *zWantC = "{\"aud\":\"https://login.microsoftonline.com/tenant-1/oauth2/v2.0/token\",\"iss\":\"client-\\\"1\","
                       "\"sub\":\"client-\\\"1\",\"jti\":\"";
  CHECK(c && strncmp((char *)c, zWantC, strlen(zWantC)) == 0);
  CHECK(c && strstr((char *)c, "\",\"nbf\":1700000000,\"iat\":1700000000,\"exp\":1700000600}"));
  /* the jti: a version-4 UUID */
  const char *j = c ? strstr((char *)c, "\"jti\":\"") : 0;
  CHECK(j && strlen(j) > 43 && j[7 + 8] == '-' && j[7 + 14] == '4' && j[7 + 36] == '"');
  /* the signature verifies with the certificate's key over header.claims */
  EVP_MD_CTX *v = EVP_MD_CTX_new();
  EVP_PKEY *pub = X509_get0_pubkey(x);
  int ok = EVP_DigestVerifyInit(v, 0, EVP_sha256(), 0, pub) == 1 &&
           EVP_DigestVerify(v, sig, (size_t)nS, (unsigned char *)zJwt, (size_t)(d2 - zJwt)) == 1;
  CHECK(ok);
  EVP_MD_CTX_free(v);
  /* a second assertion has another jti */
  char *zJwt2 = 0;
  rc = jwt_client_assertion("t", "unit_app.pem", 0, 0, "client-\"1", zAud, 1700000000, &zJwt2, &zErr);
  CHECK(rc == 0 && zJwt2 && strcmp(zJwt, zJwt2) != 0);
  /* x5c: the certificate as base64 DER */
  char *zJwt3 = 0;
  rc = jwt_client_assertion("t", "unit_app.pem", 0, 1, "c", zAud, 1700000000, &zJwt3, &zErr);
  int nH3;
  unsigned char *h3 = zJwt3 ? unb64url(zJwt3, (size_t)(strchr(zJwt3, '.') - zJwt3), &nH3) : 0;
  unsigned char *pDer = 0;
  int nDer = i2d_X509(x, &pDer);
  unsigned char *zB = malloc((size_t)nDer * 2 + 8);
  EVP_EncodeBlock(zB, pDer, nDer);
  char *zWant3 = malloc(strlen((char *)zB) + 300);
  sprintf(zWant3, "{\"alg\":\"RS256\",\"typ\":\"JWT\",\"x5t\":\"%s\",\"x5c\":[\"%s\"]}", zT, zB);
  CHECK_STR((char *)h3, zWant3);
  free(zWant3);
  free(zB);
  OPENSSL_free(pDer);
  free(h3);
  sqlite3_free(zJwt3);
  sqlite3_free(zJwt2);
  sqlite3_free(zT);
  free(h);
  free(c);
  free(sig);
  sqlite3_free(zJwt);
  X509_free(x);

  /* an encrypted key, certificate first: with the password, wrong, missing */
  x = make_cert("unit_enc.pem", "unit-pw-1", 1);
  X509_free(x);
  zJwt = 0;
  rc = jwt_client_assertion("t", "unit_enc.pem", "unit-pw-1", 0, "c", zAud, 1, &zJwt, &zErr);
  CHECK(rc == 0 && zJwt);
  sqlite3_free(zJwt);
  rc = jwt_client_assertion("t", "unit_enc.pem", "wrong", 0, "c", zAud, 1, &zJwt, &zErr);
  CHECK(rc == 1 && zErr && strstr(zErr, "cannot decrypt the private key") && !strstr(zErr, "wrong\""));
  sqlite3_free(zErr);
  zErr = 0;
  rc = jwt_client_assertion("t", "unit_enc.pem", 0, 0, "c", zAud, 1, &zJwt, &zErr);
  CHECK(rc == 1 && zErr && strstr(zErr, "is encrypted: set AZURE_CLIENT_CERTIFICATE_PASSWORD"));
  sqlite3_free(zErr);
  zErr = 0;
  rc = jwt_client_assertion("t", "unit_none.pem", 0, 0, "c", zAud, 1, &zJwt, &zErr);
  CHECK(rc == 1 && zErr && strstr(zErr, "cannot open unit_none.pem"));
  sqlite3_free(zErr);
  remove("unit_app.pem");
  remove("unit_enc.pem");
}

static void test_answer(void) {
  char *zTok = 0, *zErr = 0;
  double r = 0;
  const char *z = "{\"token_type\":\"Bearer\",\"expires_in\":3599,\"access_token\":\"abc.def\"}";
  CHECK(azure_token_answer("t", "(x)", z, strlen(z), 1000, &zTok, &r, &zErr) == 0);
  CHECK_STR(zTok, "abc.def");
  CHECK(r == 3599);
  sqlite3_free(zTok);
  z = "{\"access_token\":\"mi\",\"expires_on\":\"1700000100\",\"resource\":\"https://graph.microsoft.com\"}";
  CHECK(azure_token_answer("t", "(x)", z, strlen(z), 1700000000, &zTok, &r, &zErr) == 0 && r == 100);
  sqlite3_free(zTok);
  setenv("TZ", "UTC", 1);
  tzset();
  z = "{\"accessToken\":\"cli\",\"expiresOn\":\"2030-01-01 00:00:00.000000\",\"tokenType\":\"Bearer\"}";
  CHECK(azure_token_answer("t", "(x)", z, strlen(z), 1893456000 - 50, &zTok, &r, &zErr) == 0 && r == 50);
  CHECK_STR(zTok, "cli");
  sqlite3_free(zTok);
  z = "{\"accessToken\":\"cli2\",\"expiresOn\":\"2030-01-01 00:00:00.000000\",\"expires_on\":1893456060}";
  CHECK(azure_token_answer("t", "(x)", z, strlen(z), 1893456000, &zTok, &r, &zErr) == 0 && r == 60);
  sqlite3_free(zTok);
  z = "{\"error\":\"nope\"}";
  CHECK(azure_token_answer("t", "(from here)", z, strlen(z), 0, &zTok, &r, &zErr) == 1 && !zTok);
  CHECK_STR(zErr, "t: the answer carries no access_token (from here)");
  sqlite3_free(zErr);
  zErr = 0;
  CHECK(azure_token_answer("t", "(x)", "not json", 8, 0, &zTok, &r, &zErr) == 1);
  sqlite3_free(zErr);
}

static void test_pick(void) {
  int e = -1;
  char *zErr = 0;
  clear_env();
  CHECK(azure_cred_parse("azure", &e) && e == AZ_CRED_CHAIN);
  CHECK(azure_cred_parse("azure:certificate", &e) && e == AZ_CRED_CERT);
  CHECK(azure_cred_parse("azure:cli", &e) && e == AZ_CRED_CLI);
  CHECK(!azure_cred_parse("azure:bogus", &e) && !azure_cred_parse("Azure", &e));
  CHECK(!azure_env_configured());
  CHECK(azure_cred_pick(AZ_CRED_CHAIN, "t", &e, &zErr) == 1 && zErr &&
        strstr(zErr, "t: auth='azure': no Azure credential is configured; tried, in order: client secret") &&
        strstr(zErr, "managed identity (set IDENTITY_ENDPOINT and IDENTITY_HEADER") && strstr(zErr, "Azure CLI"));
  sqlite3_free(zErr);
  zErr = 0;
  CHECK(azure_cred_pick(AZ_CRED_MANAGED, "t", &e, &zErr) == 0 && e == AZ_CRED_MANAGED); /* IMDS by name */
  setenv("AZURE_TENANT_ID", "t1", 1);
  setenv("AZURE_CLIENT_ID", "c1", 1);
  setenv("AZURE_FEDERATED_TOKEN_FILE", "/f", 1);
  CHECK(azure_cred_pick(AZ_CRED_CHAIN, "t", &e, &zErr) == 0 && e == AZ_CRED_WORKLOAD);
  setenv("AZURE_CLIENT_CERTIFICATE_PATH", "/c.pem", 1);
  CHECK(azure_cred_pick(AZ_CRED_CHAIN, "t", &e, &zErr) == 0 && e == AZ_CRED_CERT);
  sqlite3_uint64 hCert = azure_cred_hash(AZ_CRED_CERT);
  setenv("AZURE_CLIENT_SECRET", "s1", 1);
  CHECK(azure_cred_pick(AZ_CRED_CHAIN, "t", &e, &zErr) == 0 && e == AZ_CRED_SECRET);
  CHECK(azure_env_configured());
  CHECK(azure_cred_hash(AZ_CRED_SECRET) != hCert && azure_cred_hash(AZ_CRED_WORKLOAD) != hCert);
  setenv("AZURE_CLIENT_CERTIFICATE_PATH", "/other.pem", 1);
  CHECK(azure_cred_hash(AZ_CRED_CERT) != hCert);
  clear_env();
  setenv("IDENTITY_ENDPOINT", "http://127.0.0.1:1/msi/token", 1);
  CHECK(!azure_env_configured()); /* the header too */
  setenv("IDENTITY_HEADER", "h", 1);
  CHECK(azure_env_configured() && azure_cred_pick(AZ_CRED_CHAIN, "t", &e, &zErr) == 0 && e == AZ_CRED_MANAGED);
  clear_env();
  CHECK(azure_cred_pick(AZ_CRED_SECRET, "t", &e, &zErr) == 1);
  CHECK_STR(zErr, "t: auth='azure:secret' needs the environment variables AZURE_TENANT_ID, AZURE_CLIENT_ID and "
                  "AZURE_CLIENT_SECRET (missing: AZURE_TENANT_ID, AZURE_CLIENT_ID, AZURE_CLIENT_SECRET)");
  sqlite3_free(zErr);
}

static void test_managed_request(void) {
  az_token_req p;
  char *zErr = 0;
  clear_env();
  CHECK(azure_token_request(AZ_CRED_MANAGED, "t", 0, "graph.microsoft.com", 0, &p, &zErr) == 0);
  CHECK_STR(p.zUrl, "http://169.254.169.254/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https%3A%2F%2F"
                    "graph.microsoft.com");
  CHECK_STR(p.zHeader, "Metadata: true");
  CHECK(p.eEndpoint == AZ_EP_IMDS && strcmp(p.zMethod, "GET") == 0 && !p.zBody);
  azure_token_request_clear(&p);
  setenv("AZURE_POD_IDENTITY_AUTHORITY_HOST", "http://127.0.0.1:9/", 1);
  setenv("AZURE_CLIENT_ID", "uai 1", 1);
  CHECK(azure_token_request(AZ_CRED_MANAGED, "t", 0, "graph.microsoft.us", 0, &p, &zErr) == 0);
  CHECK_STR(p.zUrl, "http://127.0.0.1:9/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https%3A%2F%2F"
                    "graph.microsoft.us&client_id=uai%201");
  azure_token_request_clear(&p);
  setenv("IDENTITY_ENDPOINT", "http://127.0.0.1:41000/msi/token", 1);
  setenv("IDENTITY_HEADER", "hdr-value", 1);
  CHECK(azure_token_request(AZ_CRED_MANAGED, "t", 0, "graph.microsoft.com", 0, &p, &zErr) == 0);
  CHECK_STR(p.zUrl, "http://127.0.0.1:41000/msi/token?resource=https%3A%2F%2Fgraph.microsoft.com&api-version=2019-08-01"
                    "&client_id=uai%201");
  CHECK_STR(p.zHeader, "X-IDENTITY-HEADER: hdr-value");
  CHECK_STR(p.zSecret, "hdr-value");
  CHECK(p.eEndpoint == AZ_EP_IDENTITY);
  azure_token_request_clear(&p);
  /* the secret request's form body */
  clear_env();
  setenv("AZURE_TENANT_ID", "t1", 1);
  setenv("AZURE_CLIENT_ID", "c 1", 1);
  setenv("AZURE_CLIENT_SECRET", "s&1", 1);
  CHECK(azure_token_request(AZ_CRED_SECRET, "t", "https://login.microsoftonline.com", "graph.microsoft.com", 0, &p,
                            &zErr) == 0);
  CHECK_STR(p.zUrl, "https://login.microsoftonline.com/t1/oauth2/v2.0/token");
  CHECK_STR(p.zBody, "grant_type=client_credentials&client_id=c%201&client_secret=s%261&scope=https%3A%2F%2F"
                     "graph.microsoft.com%2F.default");
  azure_token_request_clear(&p);
  setenv("AZURE_TENANT_ID", "t1/../x", 1);
  CHECK(azure_token_request(AZ_CRED_SECRET, "t", "https://l", "g", 0, &p, &zErr) == 1 && zErr &&
        strstr(zErr, "AZURE_TENANT_ID must be a tenant id"));
  sqlite3_free(zErr);
  clear_env();
}

int main(void) {
  test_b64url();
  test_assertion();
  test_answer();
  test_pick();
  test_managed_request();
  return unit_finish();
}
