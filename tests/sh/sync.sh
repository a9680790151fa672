#!/usr/bin/env bash
# sync.sh: sql/sync.sql copies new events, re-reading a look-back window
# (default 2 hours) before the newest one already copied, so late events are
# kept (issue 17, point 4).
#
# A 200-event log (ndjson) is synced into a database made by sql/setup.sql;
# 7 events of July (some written with an offset) are appended to the log; the
# second sync asks the source only for the window (provisioning_scan_stats():
# rows returned = the 7 new plus those of the 2 hours before the newest), and
# copies the 7; a third copies nothing; then a late event, 30 minutes before
# the newest copied, is appended with one newer event: the fourth sync copies
# both; an event 3 hours late (beyond the window: the documented worst case)
# is not copied by the default sync, and is by one run with '30 days'.
# Env from tests/run.sh: ROOT, EXT, SQLITE3, BUILD; cwd is the repo root.
. "$(dirname "$0")/lib.sh"
W=$WORK
GEN=build/gen_events
[ -x "$GEN" ] || { echo "no $GEN (make build/gen_events)"; exit 77; }
db="$W/sync.db"
log="$W/log.ndjson"
# the scripts as documented, with the extension under test
sed "s|^\.load \./provisioning|.load $EXT|" sql/setup.sql >"$W/setup.sql"
sed "s|^\.load \./provisioning|.load $EXT|" sql/sync.sql >"$W/sync.sql"
grep -q "^\.load $EXT" "$W/sync.sql" || { echo "sync.sql has no .load ./provisioning line"; exit 1; }

$GEN --count 200 --seed 7 --format ndjson --out "$log" || exit 1
$GEN --count 7 --seed 8 --format ndjson --out "$W/extra.raw" || exit 1
# July events, after everything in the first log; every other one with an offset
awk '{ i = NR; if (i % 2) t = sprintf("2024-07-01T00:00:%02d.5Z", i);
       else t = sprintf("2024-07-01T02:00:%02d+02:00", i);
       sub(/"activityDateTime":"[^"]*"/, "\"activityDateTime\":\"" t "\""); print }' \
  "$W/extra.raw" >"$W/extra.ndjson"

$SQLITE3 -batch -init /dev/null "$db" <"$W/setup.sql" >"$W/setup.out" 2>&1 || { cat "$W/setup.out"; exit 1; }
$SQLITE3 -batch -init /dev/null "$db" >>"$W/setup.out" 2>&1 <<SQL || { cat "$W/setup.out"; exit 1; }
.load $EXT
DROP TABLE events;
CREATE VIRTUAL TABLE events USING provisioning_events(source='file:$log');
SQL

sync() { # N: run sync.sql, then the scan stats
  { cat "$W/sync.sql"; echo "SELECT 'stats=' || provisioning_scan_stats();"; } |
    $SQLITE3 -batch -init /dev/null "$db" >"$W/sync$1.out" 2>&1
  local st=$?
  [ $st = 0 ] || { echo "sync $1 failed ($st):"; cat "$W/sync$1.out"; fail=1; }
}
q() { $SQLITE3 -batch -init /dev/null "$db" ".load $EXT" "$1" 2>&1; }
stat() { sed -n 's/^stats=//p' "$W/sync$1.out" | grep -o "\"$2\":[0-9]*" | cut -d: -f2; }

win() { q "SELECT count(*) FROM events WHERE activity_date_time > '$1'"; }
# ---- first sync: everything
sync 1
check "first sync copies the whole log" 200 "$(q 'SELECT count(*) FROM events_local')"
check "first sync: rows returned by the source" 200 "$(stat 1 returned)"
check "first sync_log row" "1970-01-01 00:00:00.0000000|2 hours|200|200|ok" "$(q 'SELECT since, lookback, fetched, new_rows, status FROM sync_log')"

# ---- the log grows by 7 events
cat "$W/extra.ndjson" >>"$log"
sync 2
n2=$(win '2024-06-30 21:59:59.0000000')
check "second sync: the window holds the 7 new events and some of the 2 hours before" 1 "$([ "$n2" -gt 7 ] && [ "$n2" -lt 200 ] && echo 1)"
check "second sync: rows returned by the source (only the window)" "$n2" "$(stat 2 returned)"
check "second sync: the source looked at the whole file" 207 "$(stat 2 scanned)"
check "second sync copies the new events" 207 "$(q 'SELECT count(*) FROM events_local')"
check "second sync_log row: the window asked for, rows fetched, rows new" "2024-06-30 21:59:59.0000000|$n2|7|ok" "$(q 'SELECT since, fetched, new_rows, status FROM sync_log WHERE rowid = 2')"
check "new events normalised to UTC" "2024-07-01 00:00:01.5000000,2024-07-01 00:00:02.0000000,2024-07-01 00:00:07.5000000" \
  "$(q "SELECT group_concat(activity_date_time) FROM (SELECT activity_date_time FROM events_local WHERE activity_date_time > '2024-07' ORDER BY 1) WHERE activity_date_time IN ('2024-07-01 00:00:01.5000000','2024-07-01 00:00:02.0000000','2024-07-01 00:00:07.5000000')")"

# ---- nothing new: idempotent
sync 3
n3=$(win '2024-06-30 22:00:07.0000000')
check "third sync: rows returned by the source (the window only)" "$n3" "$(stat 3 returned)"
check "third sync copies nothing" 207 "$(q 'SELECT count(*) FROM events_local')"
check "third sync_log row" "2024-06-30 22:00:07.0000000|$n3|0|ok" "$(q 'SELECT since, fetched, new_rows, status FROM sync_log WHERE rowid = 3')"

# ---- late events: listed now, with a time before the newest copied (2024-07-01 00:00:07.5)
late() { # ID TIME: an event of the log with that id and time
  head -1 "$log" | sed -e "s/\"id\":\"[^\"]*\"/\"id\":\"$1\"/" -e "s/\"activityDateTime\":\"[^\"]*\"/\"activityDateTime\":\"$2\"/"
}
{ late late-30min 2024-06-30T23:30:07Z; late newer 2024-07-01T00:10:00Z; late late-3h 2024-06-30T21:00:07Z; } >>"$log"
sync 4
check "fourth sync: the event 30 minutes late is copied" 1 "$(q "SELECT count(*) FROM events_local WHERE id = 'late-30min'")"
check "fourth sync: and the newer one" 1 "$(q "SELECT count(*) FROM events_local WHERE id = 'newer'")"
check "fourth sync: the one 3 hours late is beyond the window (the worst case)" 0 "$(q "SELECT count(*) FROM events_local WHERE id = 'late-3h'")"
check "fourth sync_log row: 2 new" "2|ok" "$(q 'SELECT new_rows, status FROM sync_log WHERE rowid = 4')"
q "SELECT provisioning_sync('events', 'events_local', '30 days', 'sync_log')" >/dev/null
check "a run with a longer window catches it up" 1 "$(q "SELECT count(*) FROM events_local WHERE id = 'late-3h'")"
check "every event of the source once" "210|210" "$(q "SELECT count(*) || '|' || count(DISTINCT id) FROM events_local")"

# the local copy is exactly the source's rows
check "local copy equals the table" 0 "$(q "SELECT count(*) FROM (SELECT * FROM events_local EXCEPT SELECT id, activity_date_time, tenant_id, job_id, cycle_id, change_id, action, duration_ms, status, error_code, error_category, error_reason, recommended_action, error_details, initiated_by_id, initiated_by_name, initiator_type, service_principal_id, service_principal_name, source_system_id, source_system_name, source_system_details, target_system_id, target_system_name, target_system_details, source_identity_id, source_identity_name, source_identity_type, source_identity_details, target_identity_id, target_identity_name, target_identity_type, target_identity_details, provisioning_steps, modified_properties FROM events)")"
check "declared types kept in the local copy" "VARCHAR(64)|TIMESTAMP|INTEGER" \
  "$(q "SELECT group_concat(type, '|') FROM (SELECT type FROM pragma_table_info('events_local') WHERE name IN ('activity_date_time','duration_ms','id') ORDER BY cid)" | tr -d '\n')"
finish
