#!/usr/bin/env bash
# Backs up the platform's PostgreSQL database in pg_dump's custom format (compressed, restorable
# table by table with pg_restore; see scripts/restore.sh and docs/operations.md).
#
#   scripts/backup.sh [OUTPUT_FILE]
#
# DATABASE_URL (postgres://user:pass@host:port/name) chooses the database; OUTPUT_FILE defaults
# to $KOTACERDAS_VAR_DIR/backups/<name>-<UTC time>.dump. The file is written beside its final name
# and renamed when complete, so a failed run never leaves a truncated backup with the final name.
# The encryption keys (FIELD_ENCRYPTION_KEYS, PII_HASH_KEY) are NOT in the dump: keep them apart.
set -euo pipefail

url="${DATABASE_URL:-}"
case "$url" in
  postgres://*|postgresql://*|pgsql://*) ;;
  *) echo "backup.sh: DATABASE_URL must be a PostgreSQL URL (got '${url:-<unset>}')" >&2; exit 2 ;;
esac
url="postgresql://${url#*://}"   # libpq knows postgres:// and postgresql://, not pgsql://

name="${url##*/}"; name="${name%%\?*}"
var_dir="${KOTACERDAS_VAR_DIR:-$(cd "$(dirname "$0")/.." && pwd)/var}"
out="${1:-$var_dir/backups/$name-$(date -u +%Y%m%dT%H%M%SZ).dump}"
mkdir -p "$(dirname "$out")"

tmp="$out.partial"
trap 'rm -f "$tmp"' EXIT
umask 077
pg_dump --format=custom --compress=6 --no-owner --no-privileges --file="$tmp" --dbname="$url"
mv "$tmp" "$out"
trap - EXIT
echo "$out"
