#!/usr/bin/env bash
# The mock Graph server's own self-test (tests/mockgraph/selftest.sh).
# It does not depend on the build mode: run it in plain mode only.
. "$(dirname "$0")/lib.sh"
if [ "$MODE" != plain ]; then
  echo "mock self-test runs in plain mode only"
  exit 77
fi
if ! command -v node >/dev/null || ! command -v curl >/dev/null || [ ! -d tests/mockgraph/node_modules/odata-v4-parser ]; then
  echo "node, curl or tests/mockgraph/node_modules missing (make mock-deps)"
  exit 77
fi
exec bash tests/mockgraph/selftest.sh
