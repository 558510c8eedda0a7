#!/usr/bin/env bash
# mariadb_server.sh BIN - the private MariaDB of scripts/mariadb.sh: it starts in a fresh
# datadir, answers on its socket and on 127.0.0.1 with the generated user, takes the
# schema of scripts/schema.sql (the eight tables with their keys), keeps its password out
# of the script's output, survives a stop/start with the same settings, and stops.
# (BIN is unused: the server is the project's, the engine's MySQL source comes next.)
set -u
root=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/ofi-mariadb.XXXXXX") || exit 2
export OFI_MARIADB_DIR="$tmp/db"
passed=0 failed=0
check() { # check NAME CONDITION-EXIT-CODE
    if [ "$2" -eq 0 ]; then passed=$((passed + 1)); echo "ok   $1"; else failed=$((failed + 1)); echo "FAIL $1"; fi
}
cleanup() { # the main shell's exit only (see e2e_lib.sh)
    [ "$BASHPID" = $$ ] || return 0
    "$root/scripts/mariadb.sh" stop >/dev/null 2>&1
    rm -rf "$tmp"
}
trap cleanup EXIT

out=$("$root/scripts/mariadb.sh" start 2>&1); rc=$?
check "start exits 0" $rc
"$root/scripts/mariadb.sh" status; check "status answers after start" $?
# shellcheck disable=SC1090
. "$OFI_MARIADB_DIR/ofi.env"
case "$out" in *"$MYSQL_PASSWORD"*) leaked=1 ;; *) leaked=0 ;; esac
check "start does not print the password" $leaked
perm=$(stat -c %a "$OFI_MARIADB_DIR/ofi.env")
[ "$perm" = 600 ]; check "ofi.env is private (mode $perm)" $?
q() { mariadb --no-defaults -h 127.0.0.1 -P "$MYSQL_PORT" -u "$MYSQL_USER" -p"$MYSQL_PASSWORD" -N -B "$MYSQL_DATABASE" "$@"; }
q < "$root/scripts/schema.sql"; check "schema.sql loads" $?
tables=$(q -e "SELECT GROUP_CONCAT(table_name ORDER BY CAST(table_name AS BINARY)) FROM information_schema.tables WHERE table_schema = DATABASE()")
[ "$tables" = "agents,calendar,case_timeline,cases,customers,issue_catalog,products,refunds" ]
check "the eight tables exist ($tables)" $?
pk=$(q -e "SELECT column_name FROM information_schema.key_column_usage WHERE table_schema = DATABASE() AND table_name = 'cases' AND constraint_name = 'PRIMARY'")
[ "$pk" = case_id ]; check "cases has primary key case_id" $?
idx=$(q -e "SELECT COUNT(DISTINCT index_name) FROM information_schema.statistics WHERE table_schema = DATABASE() AND table_name = 'case_timeline'")
[ "$idx" = 2 ]; check "case_timeline has its primary key and the case_id index" $?
q -e "INSERT INTO cases (case_id, priority) VALUES (9223372036854775807, 'High')"; check "BIGINT ids fit" $?
port1=$MYSQL_PORT pass1=$MYSQL_PASSWORD
"$root/scripts/mariadb.sh" stop; check "stop exits 0" $?
"$root/scripts/mariadb.sh" status; [ $? -ne 0 ]; check "status fails after stop" $?
"$root/scripts/mariadb.sh" start >/dev/null 2>&1; check "restart exits 0" $?
. "$OFI_MARIADB_DIR/ofi.env"
[ "$MYSQL_PASSWORD" = "$pass1" ]; check "the password survives a restart" $?
n=$(q -e "SELECT COUNT(*) FROM cases"); [ "$n" = 1 ]; check "data survives a restart" $?
echo "mariadb: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
