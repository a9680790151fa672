#!/usr/bin/env bash
# readme_examples.sh: the SQL examples README.md marks with <!-- readme-test -->
# run in the sqlite3 shell and print what the README shows after them
# (tests/readme/run_examples.py). Env from tests/run.sh: ROOT, EXT, RUN_ENV.
. "$(dirname "$0")/lib.sh"
env EXT="$EXT" python3 tests/readme/run_examples.py README.md env $RUN_ENV PROVISIONING_SOURCE= sqlite3
