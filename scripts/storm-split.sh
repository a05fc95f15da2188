#!/usr/bin/env bash
# One login storm of ../shared/bench-peers (run.sh SERVER w1 clients=19500), with the server's CPU per login split
# into user and kernel time over the login phase alone: /proc/PID/stat is read when the driver prints its
# "warm-up:" line and again at its "login:" line (both on stderr). Prints one line: the driver's figures, then
# user_us and sys_us per login and the minor faults of the phase.
#
#   scripts/storm-split.sh LABEL chat|mosquitto [VAR=value ...]     # the VARs go to the server's environment
#   CHAT_REPO (default: this checkout), PEERS_RUN_DIR (default /var/tmp/peers-fresh), CLIENTS (default 19500)
set -u
label=${1:?usage: scripts/storm-split.sh LABEL chat|mosquitto [VAR=value ...]}
server=${2:?usage: scripts/storm-split.sh LABEL chat|mosquitto [VAR=value ...]}
shift 2
root=$(cd "$(dirname "$0")/.." && pwd)
peers=${PEERS:-$root/../shared/bench-peers}
clients=${CLIENTS:-19500}
export PEERS_RUN_DIR=${PEERS_RUN_DIR:-/var/tmp/peers-fresh} CHAT_REPO=${CHAT_REPO:-$root}
err=$(mktemp); out=$(mktemp)
trap 'rm -f "$err" "$out"' EXIT
env "$@" "$peers/run.sh" "$server" w1 "clients=$clients" > "$out" 2> "$err" &
run=$!
stat_of() { awk '{ s = $0; sub(/^.*\) /, "", s); split(s, f, " "); print f[12], f[13], f[8] }' "/proc/$1/stat"; }
first=""; last=""; pid=""
# Bounded: the run itself stops at its own timeout (300 s); this loop at 400 s.
for _ in $(seq 1 8000); do
  kill -0 "$run" 2>/dev/null || break
  if [ -z "$first" ] && grep -q "warm-up:" "$err"; then
    pid=$(sed -n 's/.*server pid \([0-9]*\)).*/\1/p' "$err" | head -1)
    first=$(stat_of "$pid")
  fi
  if [ -n "$first" ] && grep -q "login:" "$err"; then last=$(stat_of "$pid"); break; fi
  sleep 0.05
done
wait "$run"
line=$(tail -1 "$out")
[ -n "$first" ] && [ -n "$last" ] || { echo "$label: no login phase seen"; cat "$err" >&2; exit 1; }
read -r u1 s1 f1 <<< "$first"; read -r u2 s2 f2 <<< "$last"
tick=$(getconf CLK_TCK)
field() { sed -n "s/.*$1=\([0-9.]*\).*/\1/p" <<< "$line"; }
echo "$label us_per_login=$(field server_cpu_us_per_login) rate=$(field connect_rate_per_s) rss_per_conn_kib=$(field rss_per_conn_kib)" \
  "steal=$(field host_steal_pct) user_us=$(( (u2 - u1) * 1000000 / tick / clients )) sys_us=$(( (s2 - s1) * 1000000 / tick / clients ))" \
  "minflt=$((f2 - f1))"
