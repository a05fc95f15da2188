#!/usr/bin/env bash
# Two login storms against one server process: the first on a fresh process (as run.sh measures it), the second on
# the same process after the first storm's clients left, when everything the storm runs is compiled and every table
# has grown. Uses ../shared/bench-peers' server.sh and driver (built by a run.sh before), the driver's arguments as
# run.sh gives them for w1, and prints per storm the CPU per login over the login phase (scripts/storm-phase.sh).
#
#   scripts/storm-warm.sh chat|mosquitto      # CHAT_REPO, PEERS_RUN_DIR (default /var/tmp/peers-fresh), CLIENTS
set -u
server=${1:?usage: scripts/storm-warm.sh chat|mosquitto}
root=$(cd "$(dirname "$0")/.." && pwd)
. "$root/scripts/storm-phase.sh"
peers=${PEERS:-$root/../shared/bench-peers}
clients=${CLIENTS:-19500}
export PEERS_RUN_DIR=${PEERS_RUN_DIR:-/var/tmp/peers-fresh} CHAT_REPO=${CHAT_REPO:-$root} SERVER_CPUS=${SERVER_CPUS-1}
driver=$PEERS_RUN_DIR/driver-out/peers-driver.dll
[ -f "$driver" ] || { echo "no driver at $driver: run ../shared/bench-peers/run.sh once first" >&2; exit 2; }
case $server in
  mosquitto) adapter=mqtt; port=1883; extra=(--opt qos=0) ;;
  chat) adapter=chat; port=${CHAT_PORT:-7460}; extra=(--opt "tokens=$PEERS_RUN_DIR/chat-sqlite/tokens.tsv") ;;
  *) echo "chat or mosquitto" >&2; exit 2 ;;
esac
ulimit -Sn "$(ulimit -Hn)"
"$peers/server.sh" start "$server" > /dev/null
pid=$("$peers/server.sh" pid "$server")
err=$(mktemp); out=$(mktemp)
trap '"$peers/server.sh" stop "$server" > /dev/null; rm -f "$err" "$out"' EXIT
for storm in 1 2; do
  for _ in $(seq 1 120); do [ "$(ss -tan state time-wait | wc -l)" -le 200 ] && break; sleep 1; done
  : > "$err"
  timeout 420 env DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS=1 taskset -c "${DRIVER_CPUS:-0}" dotnet "$driver" run \
    --server "$server" --server-pid "$pid" --adapter "$adapter" --port "$port" --workload idle --rbuf 1024 --timeout 300 \
    --clients "$clients" --hold 5 --settle 5 --concurrency 100 "${extra[@]}" --params "storm-warm storm=$storm" \
    --results "$PEERS_RUN_DIR/results-storm-warm.tsv" > "$out" 2> "$err" &
  run=$!
  storm_watch "$err" "$run" "$pid"
  wait "$run"
  [ -n "$storm_first" ] && [ -n "$storm_last" ] || { echo "storm $storm: no login phase seen" >&2; cat "$err" >&2; exit 1; }
  line=$(tail -1 "$out")
  echo "$server storm$storm us_per_login=$(storm_field "$line" server_cpu_us_per_login) rate=$(storm_field "$line" connect_rate_per_s)" \
    "steal=$(storm_field "$line" host_steal_pct) $(storm_split "$clients")"
done
