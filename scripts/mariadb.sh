#!/usr/bin/env bash
# mariadb.sh start|stop|status|env - a private, throw-away MariaDB server for the demo, the
# tests and the bench: its own datadir under .mariadb/ (git-ignored; OFI_MARIADB_DIR
# elsewhere), a unix socket, 127.0.0.1 on a free port, no system service.
#
#   start   install mariadb-server if missing, initialise the datadir once, start the
#           server, wait until it answers, create database `ofi` and user `ofi` with a
#           random password; idempotent (a running server is reused)
#   stop    shut the server down cleanly and wait for it to exit
#   status  exit 0 when the server answers
#   env     print the connection settings (MYSQL_HOST, MYSQL_PORT, MYSQL_USER,
#           MYSQL_PASSWORD, MYSQL_DATABASE, MYSQL_SOCKET) as a .env file would hold them
#
# The user may also SHUTDOWN this throw-away server: the tests stop it mid-run that way.
# The settings live in $dir/ofi.env (mode 600); nothing here prints the password except
# `env`, which is meant for `eval`/redirection into a file the user owns.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
dir="${OFI_MARIADB_DIR:-$root/.mariadb}"
data="$dir/data"
sock="$dir/mysqld.sock"
pidf="$dir/mysqld.pid"
envf="$dir/ofi.env"

say() { printf 'mariadb: %s\n' "$*" >&2; }

install_server() {
  command -v mariadbd >/dev/null 2>&1 && command -v mariadb-install-db >/dev/null 2>&1 && return 0
  say "installing mariadb-server (Debian package)"
  local sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  # Keep the package from starting a system service: we run our own server. A
  # policy-rc.d that says "no" is the Debian way; only add one when none exists.
  local added=0
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' | $sudo tee /usr/sbin/policy-rc.d >/dev/null
    $sudo chmod 755 /usr/sbin/policy-rc.d
    added=1
  fi
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends mariadb-server mariadb-client >/dev/null
  [ "$added" = 1 ] && $sudo rm -f /usr/sbin/policy-rc.d
  return 0
}

answers() {
  [ -S "$sock" ] && mariadb-admin --no-defaults --socket="$sock" -uroot ping >/dev/null 2>&1
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

start() {
  if answers; then
    return 0
  fi
  install_server
  mkdir -p "$dir"
  chmod 700 "$dir"
  local user_opt=()
  [ "$(id -u)" -eq 0 ] && user_opt=(--user=root)
  if [ ! -d "$data/mysql" ]; then
    say "initialising $data"
    mariadb-install-db --no-defaults --datadir="$data" "${user_opt[@]}" \
      --auth-root-authentication-method=socket --skip-test-db >"$dir/install.log" 2>&1 ||
      { say "mariadb-install-db failed, see $dir/install.log"; exit 2; }
  fi
  local port
  port="$(free_port)"
  say "starting on 127.0.0.1:$port (socket $sock)"
  mariadbd --no-defaults --datadir="$data" --socket="$sock" --port="$port" \
    --bind-address=127.0.0.1 --pid-file="$pidf" --log-error="$dir/error.log" \
    --skip-name-resolve --local-infile=1 --innodb-buffer-pool-size=1G \
    --innodb-log-file-size=512M --max-allowed-packet=256M "${user_opt[@]}" \
    >/dev/null 2>&1 &
  for _ in $(seq 1 120); do
    answers && break
    sleep 0.25
  done
  answers || { say "the server did not answer, see $dir/error.log"; exit 2; }
  # One application user with a random password, stored only in $envf (mode 600).
  local pass
  if [ -f "$envf" ]; then
    pass="$(sed -n 's/^MYSQL_PASSWORD=//p' "$envf")"
  else
    pass="$(head -c 18 /dev/urandom | base64 | tr -d '/+=' | head -c 20)"
  fi
  mariadb --no-defaults --socket="$sock" -uroot <<SQL
CREATE DATABASE IF NOT EXISTS ofi CHARACTER SET utf8mb4 COLLATE utf8mb4_bin;
CREATE USER IF NOT EXISTS 'ofi'@'localhost' IDENTIFIED BY '$pass';
CREATE USER IF NOT EXISTS 'ofi'@'127.0.0.1' IDENTIFIED BY '$pass';
ALTER USER 'ofi'@'localhost' IDENTIFIED BY '$pass';
ALTER USER 'ofi'@'127.0.0.1' IDENTIFIED BY '$pass';
GRANT ALL PRIVILEGES ON ofi.* TO 'ofi'@'localhost', 'ofi'@'127.0.0.1';
GRANT RELOAD, PROCESS, SHUTDOWN ON *.* TO 'ofi'@'localhost', 'ofi'@'127.0.0.1';
SQL
  umask 077
  cat >"$envf" <<ENV
MYSQL_HOST=127.0.0.1
MYSQL_PORT=$port
MYSQL_USER=ofi
MYSQL_PASSWORD=$pass
MYSQL_DATABASE=ofi
MYSQL_SOCKET=$sock
ENV
  say "ready; settings in $envf"
}

stop() {
  if answers; then
    mariadb-admin --no-defaults --socket="$sock" -uroot shutdown >/dev/null 2>&1 || true
  fi
  if [ -f "$pidf" ]; then
    local pid
    pid="$(cat "$pidf" 2>/dev/null || true)"
    for _ in $(seq 1 120); do
      [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || break
      sleep 0.25
    done
  fi
  return 0
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) answers ;;
  env) [ -f "$envf" ] && cat "$envf" || { say "not started"; exit 1; } ;;
  *) echo "usage: scripts/mariadb.sh start|stop|status|env" >&2; exit 1 ;;
esac
