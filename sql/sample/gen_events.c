/*
** gen_events.c: deterministic sample provisioning events (Microsoft Graph
** provisioningObjectSummary, v1.0 shape of GET /auditLogs/provisioning).
**
** Usage:
**   build/gen_events [--count N] [--seed S] [--format page|pages|array|ndjson]
**                    [--page-size K] [--beta] [--out FILE]
**
**   --count N      events to write (default 10000; 0 is allowed)
**   --seed S       PRNG seed (default 42); same seed + count = same bytes
**   --format       page   one Graph page {"@odata.context":...,"value":[...]}
**                         (one event per line inside it)          [default]
**                  pages  pages of K events, one page per line, no nextLink
**                  array  a bare JSON array (one event per line inside it)
**                  ndjson one event object per line
**   --page-size K  events per page for --format pages (default 1000)
**   --beta         what Graph's beta returns (beta metadata): the v1.0
**                  members and, beside them, the beta spellings "action"
**                  (after provisioningAction) and "statusInfo" (after
**                  provisioningStatusInfo), a statusDetails: "@odata.type":
**                  "#microsoft.graph.statusDetails", status and the error
**                  fields on the same object (no errorInformation level),
**                  or {status} alone when there is no error; and the beta
**                  @odata.context URL. Same events as without --beta.
**   --out FILE     output file (default stdout)
**
** Needs nothing but libc. No rand(), no time(): a splitmix64 generator seeded
** from --seed drives everything. A smaller run is not a prefix of a bigger
** one (the timeline is spread over the same 30 days whatever the count).
**
** Each event, compact JSON, keys always in this order:
**   id, activityDateTime, tenantId, jobId, cycleId, changeId,
**   provisioningAction (--beta: then action), durationInMilliseconds,
**   initiatedBy {id, displayName, initiatorType},
**   servicePrincipal {id, displayName},
**   sourceSystem {id, displayName, details{}}, targetSystem {same},
**   sourceIdentity {id, displayName, identityType, details{}},
**   targetIdentity {same},
**   provisioningStatusInfo {status, errorInformation},
**     errorInformation: null, or {errorCode, errorCategory, reason,
**     additionalDetails, recommendedAction}
**   (--beta: then statusInfo {[@odata.type,] status[, the five error fields]})
**   provisioningSteps [{name, provisioningStepType, status, description,
**     details{}}], modifiedProperties [{displayName, oldValue, newValue}]
** Values that can be JSON null: provisioningStatusInfo.errorInformation,
** errorInformation.additionalDetails, errorInformation.recommendedAction,
** modifiedProperties[].oldValue, modifiedProperties[].newValue. Nothing else
** is ever null; ids may be "" (initiatedBy.id for the system initiator,
** targetIdentity.id and .displayName when nothing exists in the target).
**
** Distributions (approximate):
**   jobs: 4 to 6 (always an AAD2AADUserProvisioning job and a scim job, then
**     Salesforce, ServiceNow, Workday to AAD, Dropbox Business, Google...),
**     each with its own service principal; 1 or 2 tenants. Time is divided
**     into rounds (30 + count/10000, at most 720 and at most count/4; so
**     every calendar day has events when count >= 120); in each round every
**     job runs one cycle (own cycleId), and the round's events fall in the
**     first 15-60% of the round, so events of a cycle are close in time.
**     The first round is about twice as big (initial cycle, more creates).
**   activityDateTime: strictly increasing, from exactly 2024-06-01T00:00:00Z
**     (first event) to exactly 2024-06-30T23:59:59Z (last event, count >= 2).
**     ~45% whole seconds "Z", ~35% 7-digit fraction "Z", ~10% 3-digit "Z",
**     ~10% with an offset (+03:00, -05:00, +05:30, -08:00, +01:00, +09:00)
**     and any of those precisions (at large counts, where events are less
**     than a second apart, whole seconds give way to 3 digits). The text
**     always denotes the intended instant exactly, every instant is distinct
**     at 100 ns resolution, and the events are written in time order. An
**     offset text may show a wall-clock date outside June (2024-05-31T...
**     -08:00), so compare normalised times, not the raw text.
**   provisioningAction: update ~49%, create ~30% (50% in the first round),
**     disable 8%, stagedDelete 7%, delete 6%, other 1%.
**   status: failure ~10% (of which ~2% of all events are "never
**     provisioned" users: action create, targetIdentity id ""), warning ~5%,
**     skipped ~7%, success the rest. errorInformation: always an object for
**     failure, null for success, object or null for warning and skipped.
**   durationInMilliseconds: 5..60000, ~88% under 2000, ~2% over 10000.
**   identities: ~92% users (pool of 300 names incl. O'Brien, José Müller as
**     UTF-8 in some events and as \u escapes in others, other non-ASCII
**     names), ~8% groups (some names need escaping). SCIM apps use
**     urn:ietf:params:scim:schemas:core:2.0:User / :Group identity types.
**   initiatedBy: ~92% the provisioning service (system, id ""), ~5% user,
**     ~3% application.
**   provisioningSteps: 2 to 4; failure => last step failure, warning => last
**     step warning, skipped => [import, scoping(skipped)].
**   modifiedProperties: 3 to 6; oldValue null for creates.
**   Reason texts include \" \\ \n, UTF-8, \u00e9-style escapes and a
**   surrogate pair escape (\ud83d\ude00).
*/
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef uint64_t u64;
typedef int64_t i64;

/* ---------------------------------------------------------------- output */

#define OUT_CAP (1u << 20)
static char g_buf[OUT_CAP];
static size_t g_len;
static FILE *g_out;
static const char *g_outName = "stdout";

static void die(const char *zMsg) {
  fprintf(stderr, "gen_events: %s\n", zMsg);
  exit(1);
}

static void out_flush(void) {
  if (g_len && fwrite(g_buf, 1, g_len, g_out) != g_len) {
    fprintf(stderr, "gen_events: write to %s failed: %s\n", g_outName, strerror(errno));
    exit(1);
  }
  g_len = 0;
}

static void putn(const char *z, size_t n) {
  if (g_len + n > OUT_CAP) {
    out_flush();
    if (n > OUT_CAP) {
      if (fwrite(z, 1, n, g_out) != n) die("write failed");
      return;
    }
  }
  memcpy(g_buf + g_len, z, n);
  g_len += n;
}

static void puts_(const char *z) { putn(z, strlen(z)); }
#define PUTL(lit) putn(lit, sizeof(lit) - 1)

static void putc_(char c) {
  if (g_len + 1 > OUT_CAP) out_flush();
  g_buf[g_len++] = c;
}

static void put_uint(u64 v) {
  char a[24];
  int i = 24;
  do {
    a[--i] = (char)('0' + v % 10);
    v /= 10;
  } while (v);
  putn(a + i, (size_t)(24 - i));
}

/* A JSON string whose content is already JSON text (escaped). */
static void put_jstr(const char *z) {
  putc_('"');
  puts_(z);
  putc_('"');
}

static const char HEX[] = "0123456789abcdef";

static void hex_into(char *d, u64 v, int nDigits) {
  for (int i = nDigits - 1; i >= 0; i--) {
    d[i] = HEX[v & 15];
    v >>= 4;
  }
}

/* A version-4 GUID text from 128 bits (version and variant bits forced). */
static void guid_text(char *d, u64 hi, u64 lo) {
  hi = (hi & ~0xF000ULL) | 0x4000ULL;
  lo = (lo & ~(0xC000ULL << 48)) | (0x8000ULL << 48);
  hex_into(d, hi >> 32, 8);
  d[8] = '-';
  hex_into(d + 9, (hi >> 16) & 0xFFFF, 4);
  d[13] = '-';
  hex_into(d + 14, hi & 0xFFFF, 4);
  d[18] = '-';
  hex_into(d + 19, lo >> 48, 4);
  d[23] = '-';
  hex_into(d + 24, lo & 0xFFFFFFFFFFFFULL, 12);
  d[36] = 0;
}

/* ------------------------------------------------------------------ PRNG */

static u64 g_state;
static u64 g_seedKey;

static u64 mix64(u64 z) { /* splitmix64 finalizer: a bijection on 64 bits */
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

static u64 rnd(void) {
  g_state += 0x9E3779B97F4A7C15ULL;
  return mix64(g_state);
}

static u64 below(u64 n) { return (u64)(((unsigned __int128)rnd() * n) >> 64); }

static double unit(void) { return (double)(rnd() >> 11) * 0x1p-53; }

static int chance(double p) { return unit() < p; }

/* A stable value for a tuple of small keys (ids that must repeat). */
static u64 hash3(u64 a, u64 b, u64 c) {
  return mix64(g_seedKey ^ mix64(a * 0x9E3779B97F4A7C15ULL ^ mix64(b + 0x632BE59BD9B4E019ULL) ^
                                  (c << 1)));
}

static void stable_guid(char *d, u64 a, u64 b, u64 c) {
  guid_text(d, hash3(a, b, c), hash3(a, b, c + 0x51ED27ULL));
}

/* ------------------------------------------------------------ pools/data */

enum { K_AAD, K_SALESFORCE, K_SERVICENOW, K_SLACK, K_DROPBOX, K_GOOGLE, K_WORKDAY };

typedef struct app_tmpl {
  const char *zPrefix; /* jobId prefix */
  const char *zApp;    /* service principal displayName */
  const char *zSystem; /* the app side's system displayName */
  int inbound;         /* 1: app -> Azure AD */
  int kind;            /* id format on the app side */
  const char *zUserType, *zGroupType;
} app_tmpl;

static const app_tmpl APPS[] = {
    {"AAD2AADUserProvisioning", "Fabrikam Cross-Tenant Sync", "Azure Active Directory (Fabrikam)",
     0, K_AAD, "User", "Group"},
    {"scim", "Slack", "Slack", 0, K_SLACK, "urn:ietf:params:scim:schemas:core:2.0:User",
     "urn:ietf:params:scim:schemas:core:2.0:Group"},
    {"SalesforceOutDelta", "Salesforce", "Salesforce", 0, K_SALESFORCE, "User", "Group"},
    {"ServiceNowOutDelta", "ServiceNow", "ServiceNow", 0, K_SERVICENOW, "User", "Group"},
    {"Workday2AAD", "Workday to AAD", "Workday", 1, K_WORKDAY, "User", "Group"},
    {"scim", "Dropbox Business", "Dropbox Business", 0, K_DROPBOX,
     "urn:ietf:params:scim:schemas:core:2.0:User", "urn:ietf:params:scim:schemas:core:2.0:Group"},
    {"gsuite", "Google Cloud / G Suite Connector by Microsoft", "Google Workspace", 0, K_GOOGLE,
     "User", "Group"},
};
#define N_APPS (int)(sizeof(APPS) / sizeof(APPS[0]))

typedef struct job {
  const app_tmpl *pApp;
  int iTenant;
  double cumWeight;
  char zJobId[128];
  char zSpId[37];
  char zAppSysId[37];
  char zAppId[37];
} job;

#define MAX_JOBS 6
static job g_jobs[MAX_JOBS];
static int g_nJobs;

typedef struct tenant {
  char zId[37];
  char zHex[33];
  char zAadSysId[37];
} tenant;
static tenant g_tenants[2];
static int g_nTenants;

static const char *FIRST[] = {
    "Adele",  "Alex",   "Allan",   "Amara", "Ben",    "Bianca", "Carlos", "Chen",
    "Daniel", "Diego",  "Emily",   "Fatima", "Grace", "Hannah", "Hiro",   "Isabel",
    "Ivan",   "Jamal",  "Jane",    "John",  "Kai",    "Laura",  "Lee",    "Lidia",
    "Lynne",  "Maria",  "Megan",   "Miriam", "Nestor", "Nina",  "Olga",   "Omar",
    "Patti",  "Priya",  "Rahul",   "Sean",  "Sofia",  "Tomas",  "Uma",    "Victor",
    "Wei",    "Yuki",   "Zara",    "Aidan", "Brenda", "Ciara",  "Dmitri", "Elena"};
static const char *LAST[] = {
    "Adams",  "Bowen",  "Brown",    "Chen",    "Cruz",    "Davis",  "D'Souza", "Evans",
    "Garcia", "Gupta",  "Hall",     "Iyer",    "Jensen",  "Johnson", "Kim",    "Kowalski",
    "Lopez",  "Martin", "Mendoza",  "Miller",  "Nakamura", "Nguyen", "O'Brien", "O'Connor",
    "Okafor", "Patel",  "Peterson", "Quinn",   "Reyes",   "Rossi",  "Schmidt", "Singh",
    "Smith",  "Suzuki", "Taylor",   "Thomas",  "Tanaka",  "Vance",  "Walker",  "Wang",
    "Weber",  "White",  "Wilson",   "Xu",      "Young",   "Zhang",  "Ivanova", "Larsen"};
#define N_FIRST (int)(sizeof(FIRST) / sizeof(FIRST[0]))
#define N_LAST (int)(sizeof(LAST) / sizeof(LAST[0]))

/* Non-ASCII users: display, given, surname as JSON text, an optional
** escaped rendering of the same three, and an ASCII mail local part. */
typedef struct special_user {
  const char *zName, *zGiven, *zSur, *zNameAlt, *zGivenAlt, *zSurAlt, *zMail;
} special_user;
static const special_user SPECIAL[] = {
    {"José Müller", "José", "Müller", "Jos\\u00e9 M\\u00FCller", "Jos\\u00e9", "M\\u00FCller",
     "jose.muller"},
    {"Zoë Ångström", "Zoë", "Ångström", 0, 0, 0, "zoe.angstrom"},
    {"Łukasz Wróbel", "Łukasz", "Wróbel", 0, 0, 0, "lukasz.wrobel"},
    {"Nguyễn Văn An", "An", "Nguyễn", 0, 0, 0, "an.nguyen"},
    {"佐藤 花子", "花子", "佐藤", 0, 0, 0, "hanako.sato"},
    {"Siobhán O'Neill", "Siobhán", "O'Neill", "Siobh\\u00e1n O'Neill", "Siobh\\u00e1n", "O'Neill",
     "siobhan.oneill"},
};
#define N_SPECIAL (int)(sizeof(SPECIAL) / sizeof(SPECIAL[0]))

#define N_USERS 300
#define N_NEVER 6
typedef struct user {
  char zName[64], zGiven[32], zSur[32];
  const char *zNameAlt, *zGivenAlt, *zSurAlt; /* NULL: no second rendering */
  char zUpn[64];
  int iDept, iTitle;
  int never; /* never provisioned: every event of this user fails */
} user;
static user g_users[N_USERS];
static int g_never[N_NEVER];

static const char *DEPTS[] = {"Sales",    "Marketing", "Engineering", "Finance",
                              "Human Resources", "Legal", "Operations",  "Support",
                              "R&D",      "IT",        "Procurement", "Customer Success"};
#define N_DEPTS (int)(sizeof(DEPTS) / sizeof(DEPTS[0]))
static const char *TITLES[] = {"Account Executive", "Software Engineer",  "Senior Software Engineer",
                               "Product Manager",   "Financial Analyst",  "HR Generalist",
                               "Paralegal",         "Support Engineer",   "Director",
                               "VP, Sales",         "Data Scientist",     "Intern",
                               "Operations Manager", "Solutions Architect"};
#define N_TITLES (int)(sizeof(TITLES) / sizeof(TITLES[0]))

/* Group names as JSON text, with an ASCII mailNickname each. */
static const char *GROUPS[][2] = {
    {"Self-service Pilot", "selfservicepilot"},
    {"Sales Team", "salesteam"},
    {"All Engineers", "allengineers"},
    {"Finance & Ops", "financeops"},
    {"Team \\\"Alpha\\\"", "teamalpha"},
    {"CONTOSO\\\\Domain Users", "domainusers"},
    {"Marketing EMEA", "marketingemea"},
    {"Contractors", "contractors"},
    {"Help Desk", "helpdesk"},
    {"R&D – Platform", "rdplatform"},
    {"Party Planners \\ud83d\\ude00", "partyplanners"},
    {"Executives", "executives"},
    {"HR Business Partners", "hrbp"},
    {"Field Service", "fieldservice"},
    {"Interns 2024", "interns2024"},
    {"Security Champions", "securitychampions"},
    {"Data Science", "datascience"},
    {"Customer Success", "customersuccess"},
};
#define N_GROUPS (int)(sizeof(GROUPS) / sizeof(GROUPS[0]))

static const char *ADMINS[][2] = {{"Megan Bowen", "megan.bowen"},
                                  {"Nestor Wilke", "nestor.wilke"},
                                  {"Patti Fernandez", "patti.fernandez"}};
static const char *CLIENT_APPS[] = {"Contoso HR Sync", "Provisioning Automation (PowerShell)"};

/* ------------------------------------------------------------ errors */

typedef struct err_tmpl {
  const char *zCode, *zCategory, *zReason, *zDetails, *zAction; /* NULL => null */
} err_tmpl;

/* Placeholders in reasons and descriptions: %N identity name, %K object
** kind (User/Group), %S source system, %T target system, %U mail/UPN. */
enum {
  E_AAD_EXTERNAL,
  E_SF_DUP,
  E_EXISTS,
  E_EXISTS_PATH,
  E_SCIM,
  E_SCIM_EMOJI,
  E_NOTFOUND,
  E_PERM,
  E_WARN_MANAGER,
  E_WARN_TRUNC,
  E_SKIP_ENTITLED,
  E_SKIP_SCOPE
};
static const err_tmpl ERRS[] = {
    {"AzureActiveDirectoryCannotUpdateObjectsOriginatedInExternalService", "nonServiceFailure",
     "Failed to update %K '%N' in %T. The object is synchronized from on-premises Active "
     "Directory (\\\"dirSyncEnabled\\\" is true) and can only be changed there.",
     0,
     "Update the object in on-premises Active Directory, or remove it from the scope of this "
     "provisioning job."},
    {"SalesforceDuplicateUserName", "nonServiceFailure",
     "Salesforce returned an error response: DUPLICATE_USERNAME.\\nThe username '%U' is already "
     "in use in another Salesforce organization; Salesforce usernames are unique across all "
     "organizations.",
     "HTTP 400 Bad Request",
     "Change the mapping of the Username attribute (for example append \\\".sfdc\\\"), or remove "
     "the conflicting user."},
    {"EntryAlreadyExists", "nonServiceFailure",
     "%T returned an error response with the HTTP status code 409. This response indicates "
     "that a user or a group already exists with the same name as %K '%N'.",
     "HTTP 409 Conflict",
     "Remove the conflicting object from %T, or remove '%N' from the scope of provisioning."},
    {"EntryAlreadyExists", "nonServiceFailure",
     "An object with the path CONTOSO\\\\%U already exists in %T and is not linked to %K '%N'.",
     0, 0},
    {"ScimPostFailed", "failure",
     "The SCIM endpoint of %T returned HTTP 500 for POST /scim/v2/Users: "
     "{\\\"detail\\\":\\\"Internal error\\\",\\\"status\\\":\\\"500\\\"}",
     "POST /scim/v2/Users", "Retry later; if the error persists, contact the vendor of %T."},
    {"ScimPostFailed", "nonServiceFailure",
     "The SCIM endpoint of %T rejected %K '%N': displayName contains an unsupported character "
     "(\\ud83d\\ude00).\\n\\tstatus: 400",
     0, 0},
    {"UserNotFound", "nonServiceFailure",
     "%K '%N' was not found in %T. It may have been deleted manually in %T.", 0,
     "Restart provisioning for this object or remove it from scope."},
    {"InsufficientPermissions", "failure",
     "The credentials configured for %T lack the permission to change %K '%N' (HTTP 403 "
     "Forbidden).",
     "HTTP 403 Forbidden",
     "Update the admin credentials of the provisioning job and test the connection."},
    {"ReferenceAttributeUnresolvable", "nonServiceFailure",
     "The manager of %K '%N' could not be resolved in %T; the manager attribute was left "
     "unchanged.",
     0, 0},
    {"AttributeValueTruncated", "nonServiceFailure",
     "The value of jobTitle for %K '%N' was longer than %T accepts and was truncated.",
     "maxLength: 64", 0},
    {"NotEffectivelyEntitled", "nonServiceFailure",
     "%K '%N' was skipped because it is not assigned to the application and so not effectively "
     "entitled.",
     0, 0},
    {"ScopingFilterEvaluatedFalse", "nonServiceFailure",
     "%K '%N' was skipped because the scoping filter \\\"department EQUALS Sales\\\" evaluated "
     "to false.",
     0, 0},
};

/* ------------------------------------------------------------ the event */

enum { A_CREATE, A_UPDATE, A_DELETE, A_DISABLE, A_STAGED, A_OTHER };
static const char *ACTIONS[] = {"create", "update", "delete", "disable", "stagedDelete", "other"};
enum { S_SUCCESS, S_WARNING, S_FAILURE, S_SKIPPED };
static const char *STATUSES[] = {"success", "warning", "failure", "skipped"};

typedef struct ctx {
  const job *pJob;
  const char *zName;    /* identity displayName (JSON text) */
  const char *zGiven, *zSur;
  const char *zUpn;     /* users: mail; groups: mailNickname */
  const char *zKind;    /* "User" or "Group" */
  const char *zSource;  /* source system displayName */
  const char *zTarget;  /* target system displayName */
} ctx;

/* Write template text (JSON text with %-placeholders), without quotes. */
static void put_tmpl(const char *z, const ctx *c) {
  const char *p = z;
  while (*p) {
    const char *q = strchr(p, '%');
    if (!q) {
      puts_(p);
      return;
    }
    putn(p, (size_t)(q - p));
    switch (q[1]) {
      case 'N': puts_(c->zName); break;
      case 'K': puts_(c->zKind); break;
      case 'S': puts_(c->zSource); break;
      case 'T': puts_(c->zTarget); break;
      case 'U': puts_(c->zUpn); break;
      default: putc_('%'); putc_(q[1]); break;
    }
    p = q + 2;
  }
}

static void put_tmpl_str(const char *z, const ctx *c) {
  putc_('"');
  put_tmpl(z, c);
  putc_('"');
}

static void put_guid(u64 hi, u64 lo) {
  char d[37];
  guid_text(d, hi, lo);
  putc_('"');
  putn(d, 36);
  putc_('"');
}

/* A GUID that embeds all 64 bits of h (group 1 and the middle of group 5),
** so distinct h give distinct GUIDs; the other bits are random. */
static void put_unique_guid(u64 h) {
  u64 hi = (h & 0xFFFFFFFF00000000ULL) | (rnd() & 0xFFFFFFFFULL);
  u64 lo = (rnd() & 0xFFFF000000000000ULL) | ((h & 0xFFFFFFFFULL) << 16) | (rnd() & 0xFFFFULL);
  put_guid(hi, lo);
}

/* The id of an identity on the app side, in the app's own format. */
static void put_app_id(int kind, u64 h1, u64 h2) {
  static const char ALNUM[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
  char d[48];
  int n = 0;
  putc_('"');
  switch (kind) {
    case K_SALESFORCE: /* 18-character Salesforce id */
      memcpy(d, "005", 3);
      n = 3;
      for (int i = 0; i < 15; i++) {
        d[n++] = ALNUM[h1 % 62];
        h1 = h1 / 62 ^ (i == 8 ? h2 : 0);
      }
      break;
    case K_SERVICENOW: /* sys_id: 32 hex */
      hex_into(d, h1, 16);
      hex_into(d + 16, h2, 16);
      n = 32;
      break;
    case K_SLACK: /* U + 10 upper alnum */
      d[n++] = 'U';
      for (int i = 0; i < 10; i++) {
        d[n++] = ALNUM[h1 % 36];
        h1 /= 36;
      }
      break;
    case K_DROPBOX:
      memcpy(d, "dbmid:AA", 8);
      n = 8;
      for (int i = 0; i < 24; i++) {
        d[n++] = ALNUM[(i < 12 ? h1 : h2) % 62];
        if (i < 12) h1 /= 62; else h2 /= 62;
      }
      break;
    case K_GOOGLE: /* 21 digits */
      d[n++] = '1';
      for (int i = 0; i < 20; i++) {
        d[n++] = (char)('0' + (i < 10 ? h1 : h2) % 10);
        if (i < 10) h1 /= 10; else h2 /= 10;
      }
      break;
    case K_WORKDAY: /* employee id */
      n = snprintf(d, sizeof d, "%u", (unsigned)(21000 + h1 % 79000));
      break;
    default:
      guid_text(d, h1, h2);
      n = 36;
      break;
  }
  putn(d, (size_t)n);
  putc_('"');
}

/* Time: 100 ns ticks since 1970 (Graph's 7-digit precision). */
#define TICKS 10000000LL
static const i64 T_START = 1717200000LL * TICKS; /* 2024-06-01T00:00:00Z */
static const i64 T_END = 1719791999LL * TICKS;   /* 2024-06-30T23:59:59Z */

static void put_2(char *d, int v) {
  d[0] = (char)('0' + v / 10);
  d[1] = (char)('0' + v % 10);
}

/* prec: 0, 3 or 7 fraction digits; off: offset in minutes (0 with z => Z). */
static void put_time(i64 t, int prec, int off, int z) {
  char d[40];
  i64 local = t + (i64)off * 60 * TICKS;
  i64 secs = local / TICKS, frac = local % TICKS;
  i64 days = secs / 86400, sod = secs % 86400;
  /* civil date from days since 1970-01-01 (proleptic Gregorian) */
  i64 zd = days + 719468, era = zd / 146097, doe = zd - era * 146097;
  i64 yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  i64 doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  i64 mp = (5 * doy + 2) / 153;
  int day = (int)(doy - (153 * mp + 2) / 5 + 1);
  int mon = (int)(mp < 10 ? mp + 3 : mp - 9);
  int year = (int)(yoe + era * 400 + (mon <= 2));
  int n = 0;
  d[n++] = '"';
  put_2(d + n, year / 100);
  put_2(d + n + 2, year % 100);
  n += 4;
  d[n++] = '-';
  put_2(d + n, mon), n += 2;
  d[n++] = '-';
  put_2(d + n, day), n += 2;
  d[n++] = 'T';
  put_2(d + n, (int)(sod / 3600)), n += 2;
  d[n++] = ':';
  put_2(d + n, (int)(sod / 60 % 60)), n += 2;
  d[n++] = ':';
  put_2(d + n, (int)(sod % 60)), n += 2;
  if (prec) {
    d[n++] = '.';
    i64 f = prec == 3 ? frac / 10000 : frac;
    for (int i = prec - 1; i >= 0; i--) {
      d[n + i] = (char)('0' + f % 10);
      f /= 10;
    }
    n += prec;
  }
  if (z) {
    d[n++] = 'Z';
  } else {
    int a = off < 0 ? -off : off;
    d[n++] = off < 0 ? '-' : '+';
    put_2(d + n, a / 60), n += 2;
    d[n++] = ':';
    put_2(d + n, a % 60), n += 2;
  }
  d[n++] = '"';
  putn(d, (size_t)n);
}

/* Pick an instant in [a, b) and a text form for it. */
static void pick_time(i64 a, i64 b, i64 *pt, int *pPrec, int *pOff, int *pZ) {
  static const int OFFS[] = {180, -300, 330, -480, 60, 540};
  double r = unit();
  int prec = r < 0.50 ? 0 : r < 0.88 ? 7 : 3;
  *pZ = 1;
  *pOff = 0;
  if (chance(0.10)) {
    *pZ = 0;
    *pOff = OFFS[below(6)];
  }
  for (;; prec = prec == 0 ? 3 : 7) {
    i64 g = prec == 0 ? TICKS : prec == 3 ? 10000 : 1;
    i64 m = (a + g - 1) / g * g;
    if (m < b) {
      i64 cnt = (b - 1 - m) / g + 1;
      *pt = m + g * (i64)below((u64)cnt);
      *pPrec = prec;
      return;
    }
  }
}

/* --------------------------------------------------------------- setup */

static void setup(void) {
  char d[37];
  g_nTenants = 1 + (int)below(2);
  for (int i = 0; i < g_nTenants; i++) {
    u64 hi = rnd(), lo = rnd();
    guid_text(g_tenants[i].zId, hi, lo);
    int n = 0;
    for (int k = 0; k < 36; k++)
      if (g_tenants[i].zId[k] != '-') g_tenants[i].zHex[n++] = g_tenants[i].zId[k];
    g_tenants[i].zHex[n] = 0;
    guid_text(g_tenants[i].zAadSysId, rnd(), rnd());
  }

  /* jobs: the AAD2AAD and Slack (scim) templates, then 2-4 of the others */
  g_nJobs = 4 + (int)below(3);
  int order[N_APPS];
  for (int i = 0; i < N_APPS; i++) order[i] = i;
  for (int i = N_APPS - 1; i > 2; i--) {
    int j = 2 + (int)below((u64)(i - 1));
    int t = order[i];
    order[i] = order[j];
    order[j] = t;
  }
  double w = 0;
  for (int i = 0; i < g_nJobs; i++) {
    job *j = &g_jobs[i];
    j->pApp = &APPS[order[i]];
    j->iTenant = i % g_nTenants;
    guid_text(d, rnd(), rnd());
    snprintf(j->zJobId, sizeof j->zJobId, "%s.%s.%s", j->pApp->zPrefix,
             g_tenants[j->iTenant].zHex, d);
    guid_text(j->zSpId, rnd(), rnd());
    guid_text(j->zAppSysId, rnd(), rnd());
    guid_text(j->zAppId, rnd(), rnd());
    w += 0.4 + 1.6 * unit();
    j->cumWeight = w;
  }
  for (int i = 0; i < g_nJobs; i++) g_jobs[i].cumWeight /= w;

  /* users: distinct first/last pairs, then the special ones */
  static unsigned char used[N_FIRST][N_LAST];
  for (int i = 0; i < N_USERS; i++) {
    user *u = &g_users[i];
    u->iDept = (int)below(N_DEPTS);
    u->iTitle = (int)below(N_TITLES);
    if (i % 50 == 7 && i / 50 < N_SPECIAL) {
      const special_user *s = &SPECIAL[i / 50];
      snprintf(u->zName, sizeof u->zName, "%s", s->zName);
      snprintf(u->zGiven, sizeof u->zGiven, "%s", s->zGiven);
      snprintf(u->zSur, sizeof u->zSur, "%s", s->zSur);
      u->zNameAlt = s->zNameAlt;
      u->zGivenAlt = s->zGivenAlt;
      u->zSurAlt = s->zSurAlt;
      snprintf(u->zUpn, sizeof u->zUpn, "%s@contoso.com", s->zMail);
      continue;
    }
    int f, l;
    do {
      f = (int)below(N_FIRST);
      l = (int)below(N_LAST);
    } while (used[f][l]);
    used[f][l] = 1;
    snprintf(u->zName, sizeof u->zName, "%s %s", FIRST[f], LAST[l]);
    snprintf(u->zGiven, sizeof u->zGiven, "%s", FIRST[f]);
    snprintf(u->zSur, sizeof u->zSur, "%s", LAST[l]);
    char mail[40];
    int n = 0;
    for (const char *p = FIRST[f]; *p; p++) mail[n++] = (char)(*p | 0x20);
    mail[n++] = '.';
    for (const char *p = LAST[l]; *p; p++)
      if (*p != '\'') mail[n++] = (char)(*p >= 'A' && *p <= 'Z' ? *p | 0x20 : *p);
    mail[n] = 0;
    snprintf(u->zUpn, sizeof u->zUpn, "%s@contoso.com", mail);
  }
  /* never-provisioned users: plain ASCII ones, at distinct places */
  for (int k = 0; k < N_NEVER; k++) {
    int i;
    do {
      i = (int)below(N_USERS);
    } while (g_users[i].never || g_users[i].zNameAlt || i % 50 == 7);
    g_users[i].never = 1;
    g_never[k] = i;
  }
}

/* ---------------------------------------------------------- one event */

static int g_beta;

static void put_step(const char *zName, const char *zType, int status, const char *zDesc,
                     const ctx *c, int nDet, const char *const *azDet, int first) {
  static const char *ST[] = {"success", "warning", "failure", "skipped"};
  if (!first) putc_(',');
  PUTL("{\"name\":");
  put_jstr(zName);
  PUTL(",\"provisioningStepType\":");
  put_jstr(zType);
  PUTL(",\"status\":");
  put_jstr(ST[status]);
  PUTL(",\"description\":");
  put_tmpl_str(zDesc, c);
  PUTL(",\"details\":{");
  for (int i = 0; i < nDet; i++) {
    if (i) putc_(',');
    put_jstr(azDet[2 * i]);
    putc_(':');
    put_tmpl_str(azDet[2 * i + 1], c);
  }
  PUTL("}}");
}

static void put_mp(const char *zAttr, const char *zOld, const char *zNew, const ctx *c, int first) {
  if (!first) putc_(',');
  PUTL("{\"displayName\":");
  put_jstr(zAttr);
  PUTL(",\"oldValue\":");
  if (zOld) put_tmpl_str(zOld, c); else PUTL("null");
  PUTL(",\"newValue\":");
  if (zNew) put_tmpl_str(zNew, c); else PUTL("null");
  putc_('}');
}

static void put_event(u64 iEvent, i64 t, int prec, int off, int z, int round, int iJob) {
  const job *pJob = &g_jobs[iJob];
  const app_tmpl *pApp = pJob->pApp;
  const tenant *pTen = &g_tenants[pJob->iTenant];
  ctx c;
  c.pJob = pJob;

  /* identity */
  int isGroup = chance(0.08);
  int iIdent;
  const user *u = 0;
  if (isGroup) {
    iIdent = (int)below(N_GROUPS);
    c.zName = GROUPS[iIdent][0];
    c.zUpn = GROUPS[iIdent][1];
    c.zGiven = c.zSur = "";
    c.zKind = "Group";
  } else {
    if (chance(0.02)) {
      iIdent = g_never[below(N_NEVER)];
    } else {
      do {
        iIdent = (int)below(N_USERS);
      } while (g_users[iIdent].never);
    }
    u = &g_users[iIdent];
    int alt = u->zNameAlt && chance(0.5);
    c.zName = alt ? u->zNameAlt : u->zName;
    c.zGiven = alt ? u->zGivenAlt : u->zGiven;
    c.zSur = alt ? u->zSurAlt : u->zSur;
    c.zUpn = u->zUpn;
    c.zKind = "User";
  }
  int never = u && u->never;
  c.zSource = pApp->inbound ? pApp->zSystem : "Azure Active Directory";
  c.zTarget = pApp->inbound ? "Azure Active Directory" : pApp->zSystem;

  /* action and status */
  int action;
  double r = unit();
  if (never) {
    action = A_CREATE;
  } else if (round == 0 && r < 0.50) {
    action = A_CREATE;
  } else {
    r = unit();
    action = r < 0.50   ? A_UPDATE
             : r < 0.78 ? A_CREATE
             : r < 0.86 ? A_DISABLE
             : r < 0.93 ? A_STAGED
             : r < 0.99 ? A_DELETE
                        : A_OTHER;
  }
  int status;
  if (never) {
    status = S_FAILURE;
  } else {
    r = unit();
    status = r < 0.0816 ? S_FAILURE : r < 0.1326 ? S_WARNING : r < 0.2040 ? S_SKIPPED : S_SUCCESS;
  }
  int err = -1;
  if (status == S_FAILURE) {
    int targetAad = pApp->kind == K_AAD || pApp->inbound;
    int scim = pApp->kind == K_SLACK || pApp->kind == K_DROPBOX;
    r = unit();
    if (targetAad && r < 0.35 && action != A_CREATE) err = E_AAD_EXTERNAL;
    else if (pApp->kind == K_SALESFORCE && r < 0.40 && !isGroup) err = E_SF_DUP;
    else if (scim && r < 0.40) err = chance(0.12) ? E_SCIM_EMOJI : E_SCIM;
    else if (action == A_CREATE || never) err = chance(0.75) ? E_EXISTS : E_EXISTS_PATH;
    else err = chance(0.6) ? E_NOTFOUND : E_PERM;
    if (never && err == E_AAD_EXTERNAL) err = E_EXISTS;
  } else if (status == S_WARNING) {
    if (chance(0.7)) err = isGroup ? E_WARN_TRUNC : chance(0.7) ? E_WARN_MANAGER : E_WARN_TRUNC;
  } else if (status == S_SKIPPED) {
    if (chance(0.6)) err = chance(0.7) ? E_SKIP_ENTITLED : E_SKIP_SCOPE;
  }
  /* does the object exist in the target after this event? */
  int targetKnown = !(status == S_SKIPPED || never || (status == S_FAILURE && action == A_CREATE));

  /* duration */
  u64 dur;
  r = unit();
  if (r < 0.88) {
    double x = unit();
    dur = 5 + (u64)(x * x * 1995.0);
  } else if (r < 0.98) {
    dur = 2000 + below(8001);
  } else {
    dur = 10000 + below(50001);
  }

  /* ---- write */
  u64 h = mix64(iEvent + g_seedKey);
  PUTL("{\"id\":");
  put_unique_guid(h);
  PUTL(",\"activityDateTime\":");
  put_time(t, prec, off, z);
  PUTL(",\"tenantId\":");
  put_jstr(pTen->zId);
  PUTL(",\"jobId\":");
  put_jstr(pJob->zJobId);
  PUTL(",\"cycleId\":");
  put_guid(hash3(0xC1C1E, (u64)round, (u64)iJob), hash3(0xC1C1F, (u64)round, (u64)iJob));
  PUTL(",\"changeId\":");
  h = mix64(iEvent + (g_seedKey ^ 0xA5A5A5A55A5A5A5AULL));
  put_unique_guid(h);
  PUTL(",\"provisioningAction\":");
  put_jstr(ACTIONS[action]);
  if (g_beta) {
    PUTL(",\"action\":");
    put_jstr(ACTIONS[action]);
  }
  PUTL(",\"durationInMilliseconds\":");
  put_uint(dur);

  /* initiatedBy */
  PUTL(",\"initiatedBy\":{\"id\":");
  r = unit();
  const char *zInitType = ",\"initiatorType\":";
  if (r < 0.92) {
    PUTL("\"\",\"displayName\":\"Azure AD Provisioning Service\"");
    puts_(zInitType);
    PUTL("\"system\"}");
  } else if (r < 0.97) {
    int a = (int)below(3);
    put_guid(hash3(0xAD, (u64)a, 1), hash3(0xAD, (u64)a, 2));
    PUTL(",\"displayName\":");
    put_jstr(ADMINS[a][0]);
    puts_(zInitType);
    PUTL("\"user\"}");
  } else {
    int a = (int)below(2);
    put_guid(hash3(0xAB, (u64)a, 1), hash3(0xAB, (u64)a, 2));
    PUTL(",\"displayName\":");
    put_jstr(CLIENT_APPS[a]);
    puts_(zInitType);
    PUTL("\"application\"}");
  }

  /* servicePrincipal, systems */
  PUTL(",\"servicePrincipal\":{\"id\":");
  put_jstr(pJob->zSpId);
  PUTL(",\"displayName\":");
  put_jstr(pApp->zApp);
  putc_('}');
  for (int side = 0; side < 2; side++) {
    int appSide = (side == 0) == (pApp->inbound != 0);
    puts_(side == 0 ? ",\"sourceSystem\":{\"id\":" : ",\"targetSystem\":{\"id\":");
    if (appSide) {
      put_jstr(pJob->zAppSysId);
      PUTL(",\"displayName\":");
      put_jstr(pApp->zSystem);
      PUTL(",\"details\":{\"ApplicationId\":");
      put_jstr(pJob->zAppId);
      PUTL(",\"ServicePrincipalId\":");
      put_jstr(pJob->zSpId);
      PUTL(",\"ServicePrincipalDisplayName\":");
      put_jstr(pApp->zApp);
      PUTL("}}");
    } else {
      put_jstr(pTen->zAadSysId);
      PUTL(",\"displayName\":\"Azure Active Directory\",\"details\":{}}");
    }
  }

  /* identities: AAD side has the object id per tenant, app side its own */
  u64 idKey = (u64)iIdent * 2 + (u64)isGroup;
  for (int side = 0; side < 2; side++) {
    int appSide = (side == 0) == (pApp->inbound != 0);
    puts_(side == 0 ? ",\"sourceIdentity\":{\"id\":" : ",\"targetIdentity\":{\"id\":");
    int known = side == 0 || targetKnown;
    if (!known) {
      PUTL("\"\"");
    } else if (appSide) {
      int kind = pApp->kind;
      if (kind == K_WORKDAY && isGroup) kind = K_AAD;
      put_app_id(kind, hash3(idKey, 0x1D + (u64)iJob, 1), hash3(idKey, 0x1D + (u64)iJob, 2));
    } else {
      put_guid(hash3(idKey, 0x7E + (u64)pJob->iTenant, 1), hash3(idKey, 0x7E + (u64)pJob->iTenant, 2));
    }
    PUTL(",\"displayName\":");
    if (known) put_jstr(c.zName); else PUTL("\"\"");
    PUTL(",\"identityType\":");
    put_jstr(appSide ? (isGroup ? pApp->zGroupType : pApp->zUserType) : c.zKind);
    PUTL(",\"details\":{}}");
  }

  /* status */
  PUTL(",\"provisioningStatusInfo\":{\"status\":");
  put_jstr(STATUSES[status]);
  PUTL(",\"errorInformation\":");
  /* the error object is written once (one set of draws) and, for --beta,
     its members again inside statusInfo: make room so it stays in g_buf */
  if (g_len > OUT_CAP - (64u << 10)) out_flush();
  size_t iErrStart = g_len;
  if (err < 0) {
    PUTL("null}");
  } else {
    const err_tmpl *e = &ERRS[err];
    PUTL("{\"errorCode\":");
    put_jstr(e->zCode);
    PUTL(",\"errorCategory\":");
    put_jstr(e->zCategory);
    PUTL(",\"reason\":");
    put_tmpl_str(e->zReason, &c);
    PUTL(",\"additionalDetails\":");
    if (e->zDetails && chance(0.8)) put_tmpl_str(e->zDetails, &c); else PUTL("null");
    PUTL(",\"recommendedAction\":");
    if (e->zAction && chance(0.85)) put_tmpl_str(e->zAction, &c); else PUTL("null");
    PUTL("}}");
  }
  if (g_beta) {
    size_t iErrEnd = g_len;
    if (iErrEnd < iErrStart || iErrEnd - iErrStart > (64u << 10)) die("error object too long");
    PUTL(",\"statusInfo\":{");
    if (err >= 0) PUTL("\"@odata.type\":\"#microsoft.graph.statusDetails\",");
    PUTL("\"status\":");
    put_jstr(STATUSES[status]);
    if (err >= 0) {
      /* {"errorCode":...}} : the members without the braces */
      static char zErrCopy[64u << 10];
      size_t nErr = iErrEnd - iErrStart - 3;
      memcpy(zErrCopy, g_buf + iErrStart + 1, nErr);
      putc_(',');
      putn(zErrCopy, nErr);
    }
    putc_('}');
  }

  /* steps */
  static const char *IMPORT_NAME[] = {"EntryImportAdd", "EntryImport", "EntryImportDelete",
                                      "EntryImport", "EntryImportDelete", "EntryImport"};
  static const char *IMPORT_DESC[] = {
      "Received %K '%N' change of type (Add) from %S",
      "Received %K '%N' change of type (Update) from %S",
      "Received %K '%N' change of type (Delete) from %S",
      "Received %K '%N' change of type (Update) from %S",
      "Received %K '%N' change of type (Delete) from %S",
      "Retrieved %K '%N' from %S"};
  static const char *MATCH_NAME[] = {"EntrySynchronizationAdd", "EntryImportByMatching",
                                     "EntryImportByMatching", "EntryImportByMatching",
                                     "EntryImportByMatching", "EntryImportByMatching"};
  static const char *MATCH_DESC[] = {
      ("%K '%N' will be created in %T (%K is active and assigned in %S, but no matching %K was "
       "found in %T)"),
      "Retrieved %K '%N' from %T by matching on userPrincipalName",
      "Retrieved %K '%N' from %T; it will be deleted",
      "Retrieved %K '%N' from %T; it will be disabled",
      "Retrieved %K '%N' from %T; deletion is staged",
      "Retrieved %K '%N' from %T"};
  static const char *EXPORT_NAME[] = {"EntryExportAdd",    "EntryExportUpdate",
                                      "EntryExportDelete", "EntryExportUpdateSoftDelete",
                                      "EntryExportUpdateSoftDelete", "EntryExportUpdate"};
  static const char *EXPORT_DESC[] = {"%K '%N' was created in %T",  "%K '%N' was updated in %T",
                                      "%K '%N' was deleted in %T",  "%K '%N' was disabled in %T",
                                      "%K '%N' was soft-deleted in %T (staged delete)",
                                      "No change was exported for %K '%N' to %T"};
  static const char *EXPORT_FAIL[] = {"Failed to create %K '%N' in %T", "Failed to update %K '%N' in %T",
                                      "Failed to delete %K '%N' in %T", "Failed to disable %K '%N' in %T",
                                      "Failed to soft-delete %K '%N' in %T", "Failed to process %K '%N' in %T"};
  const char *det[6];
  int lastStatus = status == S_FAILURE ? 2 : status == S_WARNING ? 1 : 0;
  PUTL(",\"provisioningSteps\":[");
  /* import */
  int nd = 0;
  if (chance(0.5)) {
    det[0] = "SourceAnchor";
    det[1] = "%U";
    nd = 1;
  }
  put_step(IMPORT_NAME[action], "import", 0, IMPORT_DESC[action], &c, nd, det, 1);
  if (status == S_SKIPPED) {
    det[0] = "SkipReason";
    det[1] = err == E_SKIP_SCOPE ? "ScopingFilterEvaluatedFalse" : "NotEffectivelyEntitled";
    det[2] = "IsActive";
    det[3] = "True";
    det[4] = "IsAssigned";
    det[5] = err == E_SKIP_SCOPE ? "True" : "False";
    put_step("EntrySynchronizationScoping", "scoping", 3,
             "%K '%N' will be skipped: it is out of the scope of provisioning to %T", &c,
             (int)below(4), det, 0);
  } else {
    r = unit();
    int k = r < 0.25 ? 2 : r < 0.70 ? 3 : 4;
    int withScoping = k == 4 && chance(0.5);
    if (withScoping) {
      det[0] = "IsActive";
      det[1] = action == A_DISABLE ? "False" : "True";
      det[2] = "IsAssigned";
      det[3] = "True";
      put_step("EntrySynchronizationScoping", "scoping", 0, "%K '%N' is in the scope of provisioning to %T",
               &c, (int)below(3), det, 0);
    }
    if (k >= 3) {
      det[0] = "MatchingAttribute";
      det[1] = isGroup ? "displayName" : "userPrincipalName";
      det[2] = "MatchingValue";
      det[3] = isGroup ? "%N" : "%U";
      put_step(MATCH_NAME[action], "matching", 0, MATCH_DESC[action], &c,
               chance(0.6) ? 2 : 0, det, 0);
    }
    if (k == 4 && !withScoping) {
      det[0] = "AttributeMappingsEvaluated";
      det[1] = "12";
      put_step("EntrySynchronizationProcessing", "processing", 0,
               "Evaluated the attribute mappings of %K '%N' for %T", &c, (int)below(2), det, 0);
    }
    nd = 0;
    if (chance(0.8)) {
      det[nd * 2] = "ReportableIdentifier";
      det[nd * 2 + 1] = isGroup ? "%N" : "%U";
      nd++;
    }
    if (err >= 0 && status == S_FAILURE) {
      det[nd * 2] = "ErrorCode";
      det[nd * 2 + 1] = ERRS[err].zCode;
      nd++;
      if (chance(0.5)) {
        det[nd * 2] = "HttpStatusCode";
        det[nd * 2 + 1] = err == E_PERM ? "403" : err == E_NOTFOUND ? "404" : err == E_SCIM ? "500" : "409";
        nd++;
      }
    }
    put_step(EXPORT_NAME[action], "export", lastStatus,
             lastStatus == 2 ? EXPORT_FAIL[action] : EXPORT_DESC[action], &c, nd, det, 0);
  }
  putc_(']');

  /* modified properties */
  PUTL(",\"modifiedProperties\":[");
  int m = 3 + (int)below(4);
  if (isGroup) {
    static const char *GA[] = {"objectId", "displayName", "mailEnabled", "mailNickname",
                               "securityEnabled", "description"};
    int idx[6] = {0, 1, 2, 3, 4, 5};
    for (int i = 0; i < m; i++) {
      int j = i + (int)below((u64)(6 - i));
      int t2 = idx[i];
      idx[i] = idx[j];
      idx[j] = t2;
    }
    char gid[37];
    stable_guid(gid, idKey, 0x7E + (u64)pJob->iTenant, 1);
    for (int i = 0; i < m; i++) {
      const char *v;
      switch (idx[i]) {
        case 0: v = gid; break;
        case 1: v = "%N"; break;
        case 2: v = "False"; break;
        case 3: v = "%U"; break;
        case 4: v = "True"; break;
        default: v = "Members of %N"; break;
      }
      const char *o = action == A_CREATE ? 0 : v;
      const char *nv = (action == A_DELETE || action == A_STAGED) && chance(0.5) ? 0 : v;
      if (action == A_UPDATE && chance(0.05)) nv = 0;
      put_mp(GA[idx[i]], o, nv, &c, i == 0);
    }
  } else {
    static const char *UA[] = {"accountEnabled", "displayName", "mail",      "userPrincipalName",
                               "givenName",      "surname",     "department", "jobTitle",
                               "manager"};
    int idx[9] = {0, 1, 2, 3, 4, 5, 6, 7, 8};
    for (int i = 0; i < m; i++) {
      int j = i + (int)below((u64)(9 - i));
      int t2 = idx[i];
      idx[i] = idx[j];
      idx[j] = t2;
    }
    if (action == A_DISABLE) { /* accountEnabled first */
      for (int i = 0; i < 9; i++)
        if (idx[i] == 0) {
          idx[i] = idx[0];
          idx[0] = 0;
        }
    }
    char mgr[37];
    int iMgr = (iIdent * 7 + 3) % N_USERS;
    stable_guid(mgr, (u64)iMgr * 2, 0x7E + (u64)pJob->iTenant, 1);
    for (int i = 0; i < m; i++) {
      const char *o, *nv;
      switch (idx[i]) {
        case 0:
          o = action == A_UPDATE ? "False" : "True";
          nv = action == A_DISABLE || action == A_STAGED ? "False" : "True";
          break;
        case 1: o = nv = c.zName; break;
        case 2: o = nv = u->zUpn; break;
        case 3:
          o = nv = "%U";
          break;
        case 4: o = nv = c.zGiven; break;
        case 5: o = nv = c.zSur; break;
        case 6:
          o = DEPTS[(u->iDept + 1 + iEvent % 3) % N_DEPTS];
          nv = DEPTS[u->iDept];
          break;
        case 7:
          o = TITLES[(u->iTitle + 1 + iEvent % 5) % N_TITLES];
          nv = TITLES[u->iTitle];
          break;
        default: o = nv = mgr; break;
      }
      if (action == A_CREATE) o = 0;
      if ((action == A_DELETE || action == A_STAGED) && idx[i] != 0 && chance(0.5)) nv = 0;
      if (action == A_UPDATE && idx[i] >= 6 && chance(0.06)) nv = 0;
      put_mp(UA[idx[i]], o, nv, &c, i == 0);
    }
  }
  PUTL("]}");
}

/* ---------------------------------------------------------------- main */

static u64 parse_u64(const char *zOpt, const char *z) {
  char *e;
  errno = 0;
  if (!z || !*z || *z == '-') goto bad;
  unsigned long long v = strtoull(z, &e, 10);
  if (errno || *e) goto bad;
  return (u64)v;
bad:
  fprintf(stderr, "gen_events: %s needs a non-negative integer, got '%s'\n", zOpt, z ? z : "");
  exit(2);
}

static void usage(FILE *f) {
  fputs("usage: gen_events [--count N] [--seed S] [--format page|pages|array|ndjson]\n"
        "                  [--page-size K] [--beta] [--out FILE]\n",
        f);
}

#define MAX_ROUNDS 720

int main(int argc, char **argv) {
  u64 count = 10000, seed = 42, pageSize = 1000;
  const char *zFormat = "page", *zOut = 0;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    const char *v = i + 1 < argc ? argv[i + 1] : 0;
    if (!strcmp(a, "--count")) count = parse_u64(a, v), i++;
    else if (!strcmp(a, "--seed")) seed = parse_u64(a, v), i++;
    else if (!strcmp(a, "--page-size")) pageSize = parse_u64(a, v), i++;
    else if (!strcmp(a, "--format") && v) zFormat = v, i++;
    else if (!strcmp(a, "--out") && v) zOut = v, i++;
    else if (!strcmp(a, "--beta")) g_beta = 1;
    else if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
      usage(stdout);
      return 0;
    } else {
      fprintf(stderr, "gen_events: unknown or incomplete option '%s'\n", a);
      usage(stderr);
      return 2;
    }
  }
  int fmt;
  if (!strcmp(zFormat, "page")) fmt = 0;
  else if (!strcmp(zFormat, "pages")) fmt = 1;
  else if (!strcmp(zFormat, "array")) fmt = 2;
  else if (!strcmp(zFormat, "ndjson")) fmt = 3;
  else {
    fprintf(stderr, "gen_events: --format must be page, pages, array or ndjson\n");
    return 2;
  }
  if (pageSize == 0) die("--page-size must be at least 1");
  if (count > 1000000000000ULL) die("--count is limited to 10^12");

  g_seedKey = mix64(seed ^ 0x5EED5EED5EED5EEDULL);
  g_state = seed;
  setup();

  if (zOut) {
    g_out = fopen(zOut, "wb");
    if (!g_out) {
      fprintf(stderr, "gen_events: cannot open %s: %s\n", zOut, strerror(errno));
      return 1;
    }
    g_outName = zOut;
  } else {
    g_out = stdout;
  }

  /* rounds: weights, then event boundaries */
  u64 nRounds = 30 + count / 10000;
  if (nRounds > MAX_ROUNDS) nRounds = MAX_ROUNDS;
  if (nRounds > count / 4) nRounds = count / 4;
  if (nRounds < 1) nRounds = 1;
  static double cum[MAX_ROUNDS + 1];
  static u64 bound[MAX_ROUNDS + 1];
  static double frac[MAX_ROUNDS];
  cum[0] = 0;
  for (u64 r = 0; r < nRounds; r++) {
    cum[r + 1] = cum[r] + (r == 0 ? 2.0 : 0.4 + 1.2 * unit());
    frac[r] = 0.15 + 0.45 * unit();
  }
  for (u64 r = 0; r <= nRounds; r++)
    bound[r] = r == nRounds ? count : (u64)((long double)count * cum[r] / cum[nRounds]);

  static const char CONTEXT[] =
      "{\"@odata.context\":\"https://graph.microsoft.com/v1.0/$metadata#auditLogs/provisioning\","
      "\"value\":[";
  static const char CONTEXT_BETA[] =
      "{\"@odata.context\":\"https://graph.microsoft.com/beta/$metadata#auditLogs/provisioning\","
      "\"value\":[";
  const char *zCtx = g_beta ? CONTEXT_BETA : CONTEXT;

  if (fmt == 0) {
    puts_(zCtx);
    if (count) putc_('\n');
  } else if (fmt == 2) {
    putc_('[');
    if (count) putc_('\n');
  } else if (fmt == 1 && count == 0) {
    puts_(zCtx);
  }

  const i64 span = T_END - T_START + 1;
  u64 iEvent = 0;
  for (u64 r = 0; r < nRounds; r++) {
    u64 k = bound[r + 1] - bound[r];
    if (!k) continue;
    i64 ws = T_START + (i64)((unsigned __int128)span * r / nRounds);
    i64 we = T_START + (i64)((unsigned __int128)span * (r + 1) / nRounds);
    i64 dur = (i64)((we - ws) * frac[r]);
    if (dur < (i64)k) dur = we - ws;
    if (dur < (i64)k) die("--count too large for the 30-day window");
    i64 rs = r == nRounds - 1 ? we - dur : ws;
    for (u64 j = 0; j < k; j++, iEvent++) {
      i64 a = rs + (i64)((unsigned __int128)dur * j / k);
      i64 b = rs + (i64)((unsigned __int128)dur * (j + 1) / k);
      i64 t;
      int prec, off, z;
      pick_time(a, b, &t, &prec, &off, &z);
      if (iEvent == 0) t = T_START, prec = 0, off = 0, z = 1;
      if (iEvent + 1 == count && count > 1) t = T_END, prec = 0, off = 0, z = 1;
      double x = unit();
      int iJob = 0;
      while (iJob < g_nJobs - 1 && x >= g_jobs[iJob].cumWeight) iJob++;

      if (fmt == 1 && iEvent % pageSize == 0) {
        if (iEvent) PUTL("]}\n");
        puts_(zCtx);
      } else if (iEvent && fmt != 3) {
        putc_(',');
        if (fmt != 1) putc_('\n');
      }
      put_event(iEvent, t, prec, off, z, (int)r, iJob);
      if (fmt == 3) putc_('\n');
    }
  }
  if (fmt == 0 || fmt == 2) {
    if (count) putc_('\n');
    puts_(fmt == 0 ? "]}\n" : "]\n");
  } else if (fmt == 1) {
    PUTL("]}\n");
  }
  out_flush();
  if (fflush(g_out) || ferror(g_out) || (zOut && fclose(g_out))) {
    fprintf(stderr, "gen_events: write to %s failed: %s\n", g_outName, strerror(errno));
    return 1;
  }
  return 0;
}
