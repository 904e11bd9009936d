#!/usr/bin/env bash
# Makes sure an MQTT broker answers at MQTT_HOST:MQTT_PORT (default 127.0.0.1:1883), for the
# building sensors (kotacerdas/hotspots/mqtt.py) and their tests.
#
# Uses the broker already answering there. Otherwise, on Debian/Ubuntu as root (or with sudo),
# installs Debian's `mosquitto` and starts it listening on 127.0.0.1 only with anonymous access
# (a CI or development machine; production brokers with per-sensor users and ACLs are in
# docs/operations.md).
set -euo pipefail

HOST="${MQTT_HOST:-127.0.0.1}"
PORT="${MQTT_PORT:-1883}"
log() { echo "ensure-mosquitto: $*" >&2; }

sudo_cmd() {
  if [ "$(id -u)" -eq 0 ]; then "$@"
  elif command -v sudo >/dev/null 2>&1; then sudo "$@"
  else log "need root (or sudo) to run: $*"; exit 1
  fi
}

answers() { (exec 3<>"/dev/tcp/$HOST/$PORT") 2>/dev/null; }

if answers; then exit 0; fi
if [ "$HOST" != "127.0.0.1" ] && [ "$HOST" != "localhost" ]; then
  log "no broker answers on $HOST:$PORT and it is not this machine; start it or set MQTT_HOST"
  exit 1
fi
if ! command -v mosquitto >/dev/null 2>&1 && [ ! -x /usr/sbin/mosquitto ]; then
  log "installing Debian's mosquitto"
  sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive sudo_cmd apt-get install -y -qq --no-install-recommends mosquitto >/dev/null
fi
conf_dir="${KOTACERDAS_VAR_DIR:-$(cd "$(dirname "$0")/.." && pwd)/var}/mosquitto"
mkdir -p "$conf_dir"
cat > "$conf_dir/mosquitto.conf" <<CONF
# Written by scripts/ensure-mosquitto.sh: development/CI only.
listener $PORT $HOST
allow_anonymous true
persistence false
CONF
log "starting mosquitto on $HOST:$PORT"
mosquitto_bin="$(command -v mosquitto || echo /usr/sbin/mosquitto)"
"$mosquitto_bin" -d -c "$conf_dir/mosquitto.conf"
for _ in $(seq 1 50); do
  if answers; then exit 0; fi
  sleep 0.1
done
log "mosquitto did not start on $HOST:$PORT"
exit 1
