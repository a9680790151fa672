/*
** file_replace.c: replacing a data file safely with several writers (see
** file_replace.h for the protocol). Used by source_file.c's writes.
** Calls: only the C library and SQLite's allocator.
*/
#include "file_replace.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include "sqlite3ext.h"
SQLITE_EXTENSION_INIT3

#define FREP_MAX_LINKS 40

static double frep_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Seconds a writer waits for the lock: PROVISIONING_LOCK_TIMEOUT, default 5. */
static double frep_timeout(void) {
  const char *z = getenv("PROVISIONING_LOCK_TIMEOUT");
  if (z && z[0]) {
    char *zEnd = 0;
    double r = strtod(z, &zEnd);
    if (zEnd && *zEnd == 0 && r >= 0 && r <= 3600) return r;
  }
  return 5;
}

/* zPath with every symlink of its last component followed (sqlite3_malloc'd), or NULL. */
static char *frep_follow(const char *zWho, const char *zPath, int *pRc, char **pzErr) {
  char *z = sqlite3_mprintf("%s", zPath);
  *pRc = SQLITE_NOMEM;
  for (int i = 0; z; i++) {
    struct stat st;
    if (lstat(z, &st) != 0 || !S_ISLNK(st.st_mode)) return z;
    if (i >= FREP_MAX_LINKS) {
      *pzErr = sqlite3_mprintf("%s: cannot write '%s': too many levels of symbolic links", zWho, zPath);
      *pRc = SQLITE_ERROR;
      break;
    }
    char zLink[PATH_MAX];
    ssize_t n = readlink(z, zLink, sizeof(zLink) - 1);
    if (n < 0) return z; /* changed under us: open() will say */
    zLink[n] = 0;
    char *zNext;
    const char *zSlash = strrchr(z, '/');
    if (zLink[0] == '/' || !zSlash) {
      zNext = sqlite3_mprintf("%s", zLink);
    } else {
      zNext = sqlite3_mprintf("%.*s/%s", (int)(zSlash - z), z, zLink);
    }
    sqlite3_free(z);
    z = zNext;
  }
  sqlite3_free(z);
  return 0;
}

/* Directory part of zPath ("." when none), in zDir. */
static void frep_dir(const char *zPath, char *zDir, size_t nDir, const char **pzBase) {
  const char *zSlash = strrchr(zPath, '/');
  if (!zSlash) {
    snprintf(zDir, nDir, ".");
    *pzBase = zPath;
  } else if (zSlash == zPath) {
    snprintf(zDir, nDir, "/");
    *pzBase = zSlash + 1;
  } else {
    snprintf(zDir, nDir, "%.*s", (int)(zSlash - zPath), zPath);
    *pzBase = zSlash + 1;
  }
}

/* Is zName BASE.tmp-XXXXXX (mkstemp's six letters or digits)? */
static int frep_is_tmp_name(const char *zName, const char *zBase) {
  size_t nBase = strlen(zBase);
  if (strncmp(zName, zBase, nBase) != 0 || strncmp(zName + nBase, ".tmp-", 5) != 0) return 0;
  const char *p = zName + nBase + 5;
  int n = 0;
  for (; *p; p++, n++) {
    char c = *p;
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))) return 0;
  }
  return n == 6;
}

/*
** Remove temporary files of killed writers beside p->zTarget: our name
** pattern, a regular file of ours, not locked by a live writer, empty or
** starting with FREP_HEAD. Called with the target locked.
*/
static void frep_clean_stale(file_replace *p) {
  char zDir[PATH_MAX];
  const char *zBase;
  frep_dir(p->zTarget, zDir, sizeof(zDir), &zBase);
  DIR *d = opendir(zDir);
  if (!d) return;
  struct dirent *e;
  while ((e = readdir(d)) != 0) {
    if (!frep_is_tmp_name(e->d_name, zBase)) continue;
    char *zFull = sqlite3_mprintf("%s/%s", zDir, e->d_name);
    if (!zFull) break;
    int fd = open(zFull, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    struct stat st, st2;
    if (fd >= 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_uid == geteuid() &&
        flock(fd, LOCK_EX | LOCK_NB) == 0) {
      char zHead[sizeof(FREP_HEAD)];
      ssize_t n = pread(fd, zHead, sizeof(FREP_HEAD) - 1, 0);
      int bOurs = st.st_size == 0 || (n == (ssize_t)sizeof(FREP_HEAD) - 1 &&
                                       memcmp(zHead, FREP_HEAD, sizeof(FREP_HEAD) - 1) == 0);
      if (bOurs && lstat(zFull, &st2) == 0 && st2.st_ino == st.st_ino && st2.st_dev == st.st_dev) {
        unlink(zFull);
      }
    }
    if (fd >= 0) close(fd);
    sqlite3_free(zFull);
  }
  closedir(d);
}

int frep_begin(file_replace *p, const char *zWho, const char *zPath, char **pzErr) {
  int rc;
  memset(p, 0, sizeof(*p));
  p->fdData = p->fdTmp = -1;
  p->zTarget = frep_follow(zWho, zPath, &rc, pzErr);
  if (!p->zTarget) return rc;
  double rWait = frep_timeout(), tEnd = frep_now() + rWait;
  for (;;) {
    int bCreated = 0;
    int fd = open(p->zTarget, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0 && errno == ENOENT) {
      /* a new file: an empty one holds the lock until the rename */
      fd = open(p->zTarget, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666);
      if (fd < 0 && errno == EEXIST) continue;
      bCreated = 1;
    }
    if (fd < 0) {
      *pzErr = sqlite3_mprintf("%s: cannot open file '%s': %s", zWho, p->zTarget, strerror(errno));
      return *pzErr ? SQLITE_CANTOPEN : SQLITE_NOMEM;
    }
    while (flock(fd, LOCK_EX | LOCK_NB) != 0) {
      if (errno != EWOULDBLOCK && errno != EINTR) {
        *pzErr = sqlite3_mprintf("%s: cannot lock file '%s': %s", zWho, p->zTarget, strerror(errno));
        close(fd);
        return *pzErr ? SQLITE_IOERR : SQLITE_NOMEM;
      }
      if (frep_now() >= tEnd) {
        close(fd);
        *pzErr = sqlite3_mprintf("%s: file '%s' is locked by another writer (waited %g s; "
                                 "PROVISIONING_LOCK_TIMEOUT sets the wait): run the transaction again",
                                 zWho, p->zTarget, rWait);
        return *pzErr ? SQLITE_BUSY : SQLITE_NOMEM;
      }
      struct timespec ts = {0, 20 * 1000 * 1000};
      nanosleep(&ts, 0);
    }
    /* the file we locked must still be the one at the path (a writer before us may have renamed over it) */
    struct stat stPath;
    if (fstat(fd, &p->st) != 0 || stat(p->zTarget, &stPath) != 0 || stPath.st_ino != p->st.st_ino ||
        stPath.st_dev != p->st.st_dev) {
      close(fd);
      continue;
    }
    p->fdData = fd;
    p->bCreated = bCreated;
    break;
  }
  frep_clean_stale(p);
  p->zTmp = sqlite3_mprintf("%s.tmp-XXXXXX", p->zTarget);
  if (!p->zTmp) return SQLITE_NOMEM;
  p->fdTmp = mkstemp(p->zTmp);
  if (p->fdTmp < 0) {
    *pzErr = sqlite3_mprintf("%s: cannot create a temporary file beside '%s': %s", zWho, p->zTarget,
                             strerror(errno));
    sqlite3_free(p->zTmp);
    p->zTmp = 0;
    return *pzErr ? SQLITE_CANTOPEN : SQLITE_NOMEM;
  }
  (void)fcntl(p->fdTmp, F_SETFD, FD_CLOEXEC);
  (void)flock(p->fdTmp, LOCK_EX | LOCK_NB); /* a live writer's file: never removed as stale */
  return SQLITE_OK;
}

int frep_commit(file_replace *p, char **pzErr) {
  /* the original's mode, owner and group (the owner only where permitted) */
  if (fchmod(p->fdTmp, p->st.st_mode & 07777) != 0) goto error;
  if (p->st.st_uid != geteuid() || p->st.st_gid != getegid()) {
    if (fchown(p->fdTmp, p->st.st_uid, p->st.st_gid) != 0) (void)fchown(p->fdTmp, (uid_t)-1, p->st.st_gid);
    (void)fchmod(p->fdTmp, p->st.st_mode & 07777); /* chown may clear set-id bits */
  }
  if (fsync(p->fdTmp) != 0) goto error;
  if (rename(p->zTmp, p->zTarget) != 0) goto error;
  sqlite3_free(p->zTmp);
  p->zTmp = 0;
  p->bCreated = 0;
  {
    /* make the rename itself durable */
    char zDir[PATH_MAX];
    const char *zBase;
    frep_dir(p->zTarget, zDir, sizeof(zDir), &zBase);
    int fdDir = open(zDir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fdDir >= 0) {
      fsync(fdDir);
      close(fdDir);
    }
  }
  return SQLITE_OK;
error:
  *pzErr = sqlite3_mprintf("cannot write '%s': %s (the file is unchanged)", p->zTarget, strerror(errno));
  return *pzErr ? SQLITE_IOERR : SQLITE_NOMEM;
}

void frep_end(file_replace *p) {
  if (p->fdTmp >= 0) close(p->fdTmp);
  if (p->zTmp) unlink(p->zTmp);
  if (p->bCreated && p->fdData >= 0) {
    /* the empty file made only to hold the lock: gone again if still ours and empty */
    struct stat st;
    if (stat(p->zTarget, &st) == 0 && st.st_ino == p->st.st_ino && st.st_size == 0) unlink(p->zTarget);
  }
  if (p->fdData >= 0) close(p->fdData); /* releases the lock */
  sqlite3_free(p->zTmp);
  sqlite3_free(p->zTarget);
  memset(p, 0, sizeof(*p));
  p->fdData = p->fdTmp = -1;
}
