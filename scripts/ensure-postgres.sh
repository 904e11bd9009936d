#!/usr/bin/env bash
# Makes sure a PostgreSQL server answers on 127.0.0.1:5432 and that the named databases exist.
#
#   scripts/ensure-postgres.sh [DBNAME...]
#
# Uses the server already answering there (any version). Otherwise, on Debian/Ubuntu as root
# (or with sudo), installs Debian's `postgresql`, creates/starts the `main` cluster with
# pg_ctlcluster and lets local TCP connections from 127.0.0.1/::1 in without a password (a CI
# or development machine only: the production setup is in docs/operations.md).
# Environment: PGHOST (127.0.0.1), PGPORT (5432), PGUSER (postgres), PGPASSWORD.
set -euo pipefail

export PGHOST="${PGHOST:-127.0.0.1}" PGPORT="${PGPORT:-5432}" PGUSER="${PGUSER:-postgres}"

log() { echo "ensure-postgres: $*" >&2; }

sudo_cmd() {
  if [ "$(id -u)" -eq 0 ]; then "$@"
  elif command -v sudo >/dev/null 2>&1; then sudo "$@"
  else log "need root (or sudo) to run: $*"; exit 1
  fi
}

answers() { command -v pg_isready >/dev/null 2>&1 && pg_isready -q -h "$PGHOST" -p "$PGPORT" -t 2; }

start_local_cluster() {
  if [ "$PGHOST" != "127.0.0.1" ] && [ "$PGHOST" != "localhost" ]; then
    log "no server answers on $PGHOST:$PGPORT and it is not this machine; start it or set PGHOST"
    exit 1
  fi
  if ! command -v pg_ctlcluster >/dev/null 2>&1 || ! ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then
    log "installing Debian's postgresql"
    sudo_cmd apt-get update -qq
    DEBIAN_FRONTEND=noninteractive sudo_cmd apt-get install -y -qq --no-install-recommends \
      postgresql postgresql-client >/dev/null
  fi
  local ver
  ver="$(ls /usr/lib/postgresql | sort -V | tail -1)"
  if ! pg_lsclusters -h 2>/dev/null | awk '{print $1" "$2}' | grep -qx "$ver main"; then
    log "creating cluster $ver/main on port $PGPORT"
    sudo_cmd pg_createcluster "$ver" main --port "$PGPORT" >/dev/null
  fi
  local hba="/etc/postgresql/$ver/main/pg_hba.conf"
  if ! sudo_cmd grep -q "kotacerdas: local trust" "$hba"; then
    # Local TCP only, on a machine we just set up for tests; first matching line wins.
    sudo_cmd sed -i '1i # kotacerdas: local trust (scripts/ensure-postgres.sh, development/CI only)\nhost all all 127.0.0.1/32 trust\nhost all all ::1/128 trust' "$hba"
  fi
  log "starting cluster $ver/main"
  sudo_cmd pg_ctlcluster --skip-systemctl-redirect "$ver" main start || true
  sudo_cmd pg_ctlcluster --skip-systemctl-redirect "$ver" main reload >/dev/null 2>&1 || true
  for _ in $(seq 1 30); do
    answers && return 0
    sleep 1
  done
  log "PostgreSQL $ver did not start; see /var/log/postgresql/postgresql-$ver-main.log"
  exit 1
}

if answers; then
  log "PostgreSQL answers on $PGHOST:$PGPORT"
else
  start_local_cluster
fi

for db in "$@"; do
  [[ "$db" =~ ^[A-Za-z_][A-Za-z0-9_]*$ ]] || { log "not a plain database name: $db"; exit 1; }
  if [ "$(psql -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = '$db'")" != "1" ]; then
    log "creating database $db"
    createdb "$db"
  fi
done
