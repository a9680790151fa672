# odbc_env.sh: sourced by the ODBC client tests (tests/sh/client_*.sh).
# Makes, under $BUILD/<name>, a database file with sql/setup.sql and
# test-owned unixODBC ini files, and exports ODBCSYSINI / ODBCINI so the
# driver manager reads nothing else. DSNs:
#   prov      the database, LoadExt = the extension under test
#   prov_ren  the same, LoadExt = a renamed copy of the extension
#   prov_bad  the same, LoadExt = a path that does not exist
# Needs: ROOT, MODE, EXT, BUILD, SQLITE3 (from tests/run.sh). Sets W, DB.
ODBC_DRIVER=/usr/lib/x86_64-linux-gnu/odbc/libsqlite3odbc.so
odbc_setup() { # name
  if [ ! -x /usr/bin/isql ] || [ ! -f "$ODBC_DRIVER" ]; then
    echo "unixodbc or libsqliteodbc missing (make deps-test)"
    [ "$MODE" = plain ] && exit 1 || exit 77
  fi
  W="$BUILD/$1"
  rm -rf "$W"; mkdir -p "$W"
  DB="$W/prov.db"
  sed "s|^\.load \./provisioning|.load $EXT|" sql/setup.sql >"$W/setup.sql"
  $SQLITE3 -batch -init /dev/null "$DB" <"$W/setup.sql" >"$W/setup.out" 2>&1 || { cat "$W/setup.out"; exit 1; }
  cp "$EXT.so" "$W/renamed_ext.so"
  cat >"$W/odbcinst.ini" <<INI
[SQLite3]
Description=SQLite3 ODBC driver (Debian libsqliteodbc)
Driver=$ODBC_DRIVER
INI
  cat >"$W/odbc.ini" <<INI
[prov]
Driver=SQLite3
Database=$DB
LoadExt=$EXT.so

[prov_ren]
Driver=SQLite3
Database=$DB
LoadExt=$W/renamed_ext.so

[prov_bad]
Driver=SQLite3
Database=$DB
LoadExt=$W/no_such_dir/provisioning.so
INI
  export ODBCSYSINI="$W" ODBCINI="$W/odbc.ini"
}
