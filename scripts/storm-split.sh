#!/usr/bin/env bash
# One login storm of ../shared/bench-peers (run.sh SERVER w1 clients=19500), with the server's CPU per login split
# into user and kernel time over the login phase alone (scripts/storm-phase.sh). Prints one line: the driver's
# figures, then user_us and sys_us per login and the minor faults of the phase.
#
#   scripts/storm-split.sh LABEL chat|mosquitto [VAR=value ...]     # the VARs go to the server's environment
#   CHAT_REPO (default: this checkout), PEERS_RUN_DIR (default /var/tmp/peers-fresh), CLIENTS (default 19500)
set -u
label=${1:?usage: scripts/storm-split.sh LABEL chat|mosquitto [VAR=value ...]}
server=${2:?usage: scripts/storm-split.sh LABEL chat|mosquitto [VAR=value ...]}
shift 2
root=$(cd "$(dirname "$0")/.." && pwd)
. "$root/scripts/storm-phase.sh"
peers=${PEERS:-$root/../shared/bench-peers}
clients=${CLIENTS:-19500}
export PEERS_RUN_DIR=${PEERS_RUN_DIR:-/var/tmp/peers-fresh} CHAT_REPO=${CHAT_REPO:-$root}
err=$(mktemp); out=$(mktemp)
trap 'rm -f "$err" "$out"' EXIT
env "$@" "$peers/run.sh" "$server" w1 "clients=$clients" > "$out" 2> "$err" &
run=$!
storm_watch "$err" "$run"
wait "$run"
line=$(tail -1 "$out")
[ -n "$storm_first" ] && [ -n "$storm_last" ] || { echo "$label: no login phase seen"; cat "$err" >&2; exit 1; }
echo "$label us_per_login=$(storm_field "$line" server_cpu_us_per_login) rate=$(storm_field "$line" connect_rate_per_s)" \
  "rss_per_conn_kib=$(storm_field "$line" rss_per_conn_kib) steal=$(storm_field "$line" host_steal_pct) $(storm_split "$clients")"
