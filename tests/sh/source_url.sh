#!/usr/bin/env bash
# source_url.sh: a source= URL that already ends with the table's collection
# path (copied from the Graph docs) is understood as that collection: the
# requests go to the collection once (the mock's request log), and
# .../beta/auditLogs/directoryProvisioning selects that collection; a base URL
# without /v1.0 or /beta, or with another path, is refused at CREATE with the
# expected form. Env from tests/run.sh: ROOT, EXT, SQLITE3, BUILD, MOCK_URL.
. "$(dirname "$0")/lib.sh"
need_mock
FAST="rate_limit=1000, rate_window=1"
paths() { # scenario: the request paths, one per line
  curl -s -f "$MOCK_URL/_mock/s/$1/requests" |
    python3 -c 'import json,sys; print("\n".join(r["path"] for r in json.load(sys.stdin)))'
}
n=$(sq "CREATE VIRTUAL TABLE g USING provisioning_events(source='$MOCK_URL/s/url1/v1.0/auditLogs/provisioning', $FAST)" \
       "SELECT count(*) FROM (SELECT id FROM g LIMIT 3)")
check "a v1.0 collection URL reads events" 3 "$n"
check "... from the collection, not the collection twice" "/s/url1/v1.0/auditLogs/provisioning" "$(paths url1 | sort -u)"
n=$(sq "CREATE VIRTUAL TABLE g USING provisioning_events(source='$MOCK_URL/s/url2/beta/auditLogs/directoryProvisioning/', $FAST)" \
       "SELECT count(*) FROM (SELECT id FROM g LIMIT 2)")
check "a beta directoryProvisioning URL reads events" 2 "$n"
check "... from directoryProvisioning" "/s/url2/beta/auditLogs/directoryProvisioning" "$(paths url2 | sort -u)"
n=$(env PROVISIONING_SOURCE="$MOCK_URL/s/url3/v1.0/auditLogs/provisioning" $SQLITE3 -batch -init /dev/null :memory: \
      ".load $EXT" "SELECT count(*) FROM (SELECT id FROM provisioning_events LIMIT 1)" 2>&1)
check "PROVISIONING_SOURCE with the collection path" 1 "$n"
check "... from the collection" "/s/url3/v1.0/auditLogs/provisioning" "$(paths url3 | sort -u)"
n=$(sq "CREATE VIRTUAL TABLE s USING provisioning_flow_sets(source='$MOCK_URL/s/url4/beta/external/industryData/outboundProvisioningFlowSets', $FAST)" \
       "SELECT count(*) > 0 FROM s")
check "a flow sets URL reads flow sets" 1 "$n"
check "... from the flow sets" "/s/url4/beta/external/industryData/outboundProvisioningFlowSets" "$(paths url4 | sort -u)"
E1="provisioning_events: source= must be Graph's base URL, ending in /v1.0 or /beta (the table adds /auditLogs/provisioning), e.g. source='https://graph.microsoft.com/v1.0'"
got=$(sq "CREATE VIRTUAL TABLE g USING provisioning_events(source='https://graph.microsoft.com')")
check "a base URL without a version is refused" "Error: stepping, $E1, not 'https://graph.microsoft.com'" "$got"
got=$(sq "CREATE VIRTUAL TABLE g USING provisioning_events(source='https://graph.microsoft.com/v1.0/users')")
check "another path is refused" "Error: stepping, $E1, not 'https://graph.microsoft.com/v1.0/users'" "$got"
got=$(sq "CREATE VIRTUAL TABLE g USING provisioning_events(source='https://graph.microsoft.com/v1.0/auditLogs/provisioning/auditLogs/provisioning')")
check "the collection path twice is refused" "Error: stepping, $E1, not 'https://graph.microsoft.com/v1.0/auditLogs/provisioning/auditLogs/provisioning'" "$got"
got=$(sq "CREATE VIRTUAL TABLE g USING provisioning_events(source='https://graph.microsoft.com/beta/auditLogs/provisioning', collection='directoryProvisioning')")
check "a collection path against collection= is refused" "Error: stepping, provisioning_events: source= ends with /auditLogs/provisioning but collection='directoryProvisioning': give the base URL (e.g. source='https://graph.microsoft.com/beta') and the collection" "$got"
got=$(sq "CREATE VIRTUAL TABLE f USING provisioning_flows(source='https://graph.microsoft.com/beta/auditLogs/provisioning')")
check "an events URL for the flows is refused" "Error: stepping, provisioning_flows: source= must be Graph's base URL, ending in /v1.0 or /beta (the table adds /external/industryData/outboundProvisioningFlowSets and each set's /provisioningFlows), e.g. source='https://graph.microsoft.com/beta', not 'https://graph.microsoft.com/beta/auditLogs/provisioning'" "$got"
finish
