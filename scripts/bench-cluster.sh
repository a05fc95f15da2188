#!/usr/bin/env bash
# Runs one load-test scenario against a cluster of N server nodes (docs/scale-out.md) on this machine: the nodes share
# one MariaDB database and the running Redis, each node listens on its own port and has its own node id; users
# are spread over the nodes by the tool (--servers: user i on node i mod N, so pair partners sit on different
# nodes). Server nodes are pinned to core 1, the tool to core 0 (BRIEF section 5); CPU is read from /proc for
# every node and for redis-server, before and after.
#
#   scripts/bench-cluster.sh <nodes> <connect|pairs|group|reconnect|mixed> [Chat.LoadTests options...]
#
# Environment: PORT=7600 (first node; node k listens on PORT+k-1), DATA=/tmp/lt-cluster, SEED_USERS=24000,
# MYSQL=..., MYSQL_DB=chat_test_cluster, POOL=16 (MySQL connections per node), REDIS=127.0.0.1:6379, NO_BUILD=1,
# NODES_CORE=1, TOOL_CORE=0.
set -euo pipefail

nodes=${1:?usage: scripts/bench-cluster.sh <nodes> <scenario> [options...]}
scenario=${2:?usage: scripts/bench-cluster.sh <nodes> <scenario> [options...]}
shift 2
root=$(cd "$(dirname "$0")/.." && pwd)
PORT=${PORT:-7600}
DATA=${DATA:-/tmp/lt-cluster}
SEED_USERS=${SEED_USERS:-24000}
MYSQL=${MYSQL:-"Server=127.0.0.1;Port=3306;User ID=chat;Password=chat;"}
MYSQL_DB=${MYSQL_DB:-chat_test_cluster}
# Per node: MariaDB allows 151 connections here and other work shares it; group commit needs few.
POOL=${POOL:-16}
REDIS=${REDIS:-127.0.0.1:6379}
NODES_CORE=${NODES_CORE:-1}
TOOL_CORE=${TOOL_CORE:-0}
mkdir -p "$DATA"

mariadb --protocol=tcp -h127.0.0.1 -uchat -pchat -e "CREATE DATABASE IF NOT EXISTS $MYSQL_DB CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"
storage=(--Chat:Storage:Provider=MySql "--Chat:Storage:ConnectionString=${MYSQL}Database=$MYSQL_DB;Maximum Pool Size=$POOL")

if [[ -z "${NO_BUILD:-}" ]]; then
  dotnet build "$root/Server" -c Release -v q -nologo >/dev/null
  dotnet build "$root/LoadTests" -c Release -v q -nologo >/dev/null
fi
server_dll="$root/Server/bin/Release/net10.0/Chat.Server.dll"
tool_dll="$root/LoadTests/bin/Release/net10.0/Chat.LoadTests.dll"
tokens="$DATA/tokens.tsv"

if [[ ! -f "$DATA/seeded" ]]; then
  echo "seeding $SEED_USERS users (once)..." >&2
  dotnet "$server_dll" seed --users "$SEED_USERS" --prefix lt --password abc12345x --pairs --group 500 --shared-hash --tokens "$tokens" "${storage[@]}"
  touch "$DATA/seeded"
fi

# The tool's client message ids are deterministic (user index, message number): a rerun would resend ids the
# store already holds, get "duplicate" acks and deliver nothing. Every run starts without stored messages.
mariadb --protocol=tcp -h127.0.0.1 -uchat -pchat "$MYSQL_DB" -e "DELETE FROM message_mentions; DELETE FROM messages;"

cpu_ticks() { awk '{ s = $0; sub(/^.*\) /, "", s); split(s, f, " "); print f[12] + f[13] }' "/proc/$1/stat"; }
rss_kib() { awk '/^VmRSS/ { print $2 }' "/proc/$1/status"; }

# A fresh key prefix per run: no directory left over from an earlier run.
prefix="bench-$(date +%s)-$$:"
pids=()
servers=""
stop_nodes() {
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do
    for _ in $(seq 1 30); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid"
    wait "$pid" 2>/dev/null || true
  done
}
trap stop_nodes EXIT

cluster=()
if [[ "$nodes" -gt 1 ]]; then
  cluster=("--Chat:Cluster:Redis=$REDIS" "--Chat:Cluster:KeyPrefix=$prefix")
fi
for k in $(seq 1 "$nodes"); do
  port=$((PORT + k - 1))
  taskset -c "$NODES_CORE" dotnet "$server_dll" "--Chat:Transport:Port=$port" --Chat:Transport:MaxConnectionsPerAddress=100000 \
    "--Chat:Cluster:NodeId=$k" "${cluster[@]}" "${storage[@]}" >"$DATA/node$k.log" 2>&1 &
  pids+=($!)
  servers+="${servers:+,}127.0.0.1:$port"
done
for k in $(seq 1 "$nodes"); do
  for _ in $(seq 1 60); do
    grep -q "Application started" "$DATA/node$k.log" && break
    kill -0 "${pids[$((k - 1))]}" 2>/dev/null || { cat "$DATA/node$k.log" >&2; exit 1; }
    sleep 0.5
  done
done

redis_pid=$(redis-cli -u "redis://$REDIS" info server | awk -F: '/^process_id/ { print $2 }' | tr -d '\r')
before=()
for pid in "${pids[@]}"; do before+=("$(cpu_ticks "$pid")"); done
redis_before=$(cpu_ticks "$redis_pid")
stamp=$(date +%Y%m%d-%H%M%S)
set +e
# With one node the tool reads its CPU from /proc; with several it takes the first node's Stats, and this
# script adds up every node's /proc figures below.
pid_option=()
[[ "$nodes" -eq 1 ]] && pid_option=(--server-pid "${pids[0]}")
taskset -c "$TOOL_CORE" dotnet "$tool_dll" "$scenario" --servers "$servers" "${pid_option[@]}" --tokens "$tokens" \
  --json "$DATA/$scenario-$nodes-nodes-$stamp.json" --csv "$DATA/$scenario-$nodes-nodes-$stamp.csv" "$@" &
tool=$!
# Peak connections and memory per node while the tool runs (sampled each second).
peak_conn=0
peak_rss=0
while kill -0 "$tool" 2>/dev/null; do
  conn=0; rss=0
  for pid in "${pids[@]}"; do
    conn=$((conn + $(ls "/proc/$pid/fd" 2>/dev/null | wc -l)))
    rss=$((rss + $(rss_kib "$pid")))
  done
  (( conn > peak_conn )) && peak_conn=$conn
  (( rss > peak_rss )) && peak_rss=$rss
  sleep 1
done
wait "$tool"
status=$?
set -e
total=0
for i in "${!pids[@]}"; do
  ms=$(( ($(cpu_ticks "${pids[$i]}") - ${before[$i]}) * 10 ))
  total=$((total + ms))
  echo "node $((i + 1)) pid ${pids[$i]}: $ms ms CPU" >&2
done
redis_ms=$(( ($(cpu_ticks "$redis_pid") - redis_before) * 10 ))
echo "nodes: $nodes, total node CPU $total ms, redis-server CPU $redis_ms ms, peak descriptors over all nodes $peak_conn, peak RSS over all nodes $((peak_rss / 1024)) MiB; results in $DATA/$scenario-$nodes-nodes-$stamp.{json,csv}"
exit $status
