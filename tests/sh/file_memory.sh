#!/usr/bin/env bash
# The file source reads in chunks: peak memory must not grow with the file.
# 200,000 events (about 480 MB) must scan in the same peak RSS as 2,000.
. "$(dirname "$0")/lib.sh"
set -e
[ "$MODE" = plain ] || exit 77   # sanitizer shadow memory makes RSS meaningless
rss() {
  /usr/bin/time -f '%M' sqlite3 -batch :memory: ".load $EXT" \
    "CREATE VIRTUAL TABLE ev USING provisioning_events(source='file:$1')" \
    "SELECT count(*), sum(length(id)), sum(duration_ms), count(DISTINCT status), max(length(raw)) FROM ev" \
    2>"$BUILD/rss.txt" >"$BUILD/out.txt"
  tail -1 "$BUILD/rss.txt"
}
build/gen_events --count 2000 --out "$BUILD/mem_small.json"
build/gen_events --count 200000 --out "$BUILD/mem_big.json"
small=$(rss "$BUILD/mem_small.json")
big=$(rss "$BUILD/mem_big.json")
n=$(cut -d'|' -f1 "$BUILD/out.txt")
rm -f "$BUILD/mem_big.json"
echo "peak RSS: 2,000 events ${small} KB; 200,000 events ${big} KB; rows $n"
[ "$n" = 200000 ] || { echo "wrong row count"; exit 1; }
# within 10% (and 1 MB of slack for allocator noise)
[ "$big" -le $(( small + small / 10 + 1024 )) ] || { echo "memory grew with the file"; exit 1; }
