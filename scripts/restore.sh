#!/usr/bin/env bash
# Restores a backup made by scripts/backup.sh into a named database.
#
#   scripts/restore.sh BACKUP_FILE TARGET_DB [--replace]
#
# The server comes from DATABASE_URL (its user, password, host and port; its database name is
# ignored) or from PGHOST/PGPORT/PGUSER/PGPASSWORD. TARGET_DB is created when missing. When it
# exists and is not empty the restore refuses, unless --replace is given: then it is dropped and
# created again (never the database of DATABASE_URL itself while that is in use: restore next
# to it, check, then switch DATABASE_URL). The restore runs in one transaction: all or nothing.
set -euo pipefail

if [ $# -lt 2 ]; then
  echo "usage: scripts/restore.sh BACKUP_FILE TARGET_DB [--replace]" >&2
  exit 2
fi
file="$1"; target="$2"; replace="${3:-}"
[ -r "$file" ] || { echo "restore.sh: cannot read $file" >&2; exit 2; }
[[ "$target" =~ ^[A-Za-z_][A-Za-z0-9_]*$ ]] || { echo "restore.sh: not a plain database name: $target" >&2; exit 2; }

url="${DATABASE_URL:-}"
if [ -n "$url" ]; then
  case "$url" in
    postgres://*|postgresql://*|pgsql://*) ;;
    *) echo "restore.sh: DATABASE_URL must be a PostgreSQL URL" >&2; exit 2 ;;
  esac
  base="postgresql://${url#*://}"; base="${base%%\?*}"; base="${base%/*}"
else
  base="postgresql://${PGUSER:-postgres}@${PGHOST:-127.0.0.1}:${PGPORT:-5432}"
fi
admin="$base/postgres"

exists="$(psql "$admin" -tAc "SELECT 1 FROM pg_database WHERE datname = '$target'")"
if [ "$exists" = "1" ]; then
  tables="$(psql "$base/$target" -tAc "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")"
  if [ "$tables" != "0" ]; then
    if [ "$replace" != "--replace" ]; then
      echo "restore.sh: database $target exists and has $tables tables; pass --replace to drop it" >&2
      exit 1
    fi
    psql "$admin" -q -v ON_ERROR_STOP=1 -c "DROP DATABASE \"$target\" WITH (FORCE)"
    exists=""
  fi
fi
[ "$exists" = "1" ] || psql "$admin" -q -v ON_ERROR_STOP=1 -c "CREATE DATABASE \"$target\""

pg_restore --no-owner --no-privileges --single-transaction --exit-on-error \
  --dbname="$base/$target" "$file"
echo "restored $file into $target"
