/*
** file_replace.h: replacing a data file safely with several writers.
**
** Usage (source_file.c, at COMMIT):
**   file_replace fr;
**   rc = frep_begin(&fr, "provisioning_events", zPath, &zErr);  -- waits for the lock
**   ... read the current content from fr.fdData, write the new to fr.fdTmp ...
**   rc = frep_commit(&fr, &zErr);                               -- the rename
**   frep_end(&fr);                                              -- always
**
** How it works: the path is followed through symlinks to the real file
** (the target is rewritten, the symlink stays). An advisory lock (flock,
** LOCK_EX) on that file is held from before its content is read until
** after the rename; a second writer waits up to PROVISIONING_LOCK_TIMEOUT
** seconds (default 5) and then fails with a "locked" error, never
** overwriting. After a rename the waiting writer finds it locked the old
** inode and locks the new one. The new content goes to a temporary file
** beside the target, named TARGET.tmp-XXXXXX and itself locked while
** written; it gets the original's mode (and owner and group where
** permitted), is fsync'd and renamed over the target, and the directory is
** fsync'd. A temporary file left by a killed writer (same name pattern,
** ours, unlocked, empty or starting as our files do) is removed by the next
** writer; nothing else is ever deleted.
**
** Calls only POSIX and sqlite3_* allocation.
*/
#ifndef PROV_FILE_REPLACE_H
#define PROV_FILE_REPLACE_H

#include <sys/stat.h>

/* The first bytes of every file we write (stale temporary files are recognised by them). */
#define FREP_HEAD "{\"value\":[\n"

typedef struct file_replace {
  char *zTarget;  /* the real file (symlinks followed) */
  int fdData;     /* the target, locked; positioned at 0 */
  int bCreated;   /* the target did not exist: an empty one was made to hold the lock */
  struct stat st; /* the target as locked */
  char *zTmp;     /* the temporary file, until renamed */
  int fdTmp;
} file_replace;

/*
** Lock zPath's real file (waiting a bounded time), remove stale temporary
** files of killed writers, and create this writer's temporary file.
** SQLITE_OK, SQLITE_BUSY ("locked", *pzErr set), SQLITE_NOMEM, or another
** error with *pzErr set. frep_end() must be called in every case.
*/
int frep_begin(file_replace *p, const char *zWho, const char *zPath, char **pzErr);

/* Give the temporary file the target's mode and owner, fsync it, rename it over the target. */
int frep_commit(file_replace *p, char **pzErr);

/* Remove the temporary file if still there, release the lock, free. */
void frep_end(file_replace *p);

#endif
