#!/usr/bin/env bash
# Runs one load-test scenario reproducibly (BRIEF section 5): the server (Release) pinned to core 1, the
# tool pinned to core 0, loopback only; server CPU read from /proc/PID/stat before and after; the server
# stopped by its PID at the end, whatever happened.
#
#   scripts/bench.sh <connect|pairs|group|reconnect|mixed|search> [Chat.LoadTests options...]
#   scripts/bench.sh upload [--megabytes 200] [--window 4]   one upload by lt0 (limits raised for it)
#
# Environment:
#   STORE=sqlite|mysql   store behind the server (sqlite)
#   PORT=7500            server port
#   DATA=/tmp/lt         working directory: database, token file, logs, results
#   SEED_USERS=20000     users seeded on first use of a store (pairs + a 500-member group; tokens issued)
#   MYSQL="Server=127.0.0.1;Port=3306;User ID=chat;Password=chat;"   MariaDB server for STORE=mysql
#   MYSQL_DB=chat_test_bench   its database (the local 'chat' account may create chat_test_* databases)
#   NO_BUILD=1           skip the Release build
#   SERVER_ARGS="..."    more server settings, e.g. "--Chat:Search:UserQueriesPerSecond=100000" (split at spaces)
#   METRICS=off|on       the server's metrics (docs/operations.md): both open the monitoring port METRICS_PORT (9464);
#                        off runs with --Chat:Metrics:Enabled=false, on with metrics collected and /metrics scraped
#                        once a second for the whole run (Prometheus scrapes every 15 s: a harder case). Unset: no
#                        monitoring port, no metrics (as before).
set -euo pipefail

scenario=${1:?usage: scripts/bench.sh <scenario> [options...]}
shift
root=$(cd "$(dirname "$0")/.." && pwd)
STORE=${STORE:-sqlite}
PORT=${PORT:-7500}
DATA=${DATA:-/tmp/lt}
SEED_USERS=${SEED_USERS:-20000}
MYSQL=${MYSQL:-"Server=127.0.0.1;Port=3306;User ID=chat;Password=chat;"}
MYSQL_DB=${MYSQL_DB:-chat_test_bench}
mkdir -p "$DATA"

case "$STORE" in
  sqlite) storage=(--Chat:Storage:Provider=Sqlite "--Chat:Storage:ConnectionString=Data Source=$DATA/chat.db") ;;
  mysql)
    mariadb --protocol=tcp -h127.0.0.1 -uchat -pchat -e "CREATE DATABASE IF NOT EXISTS $MYSQL_DB CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"
    storage=(--Chat:Storage:Provider=MySql "--Chat:Storage:ConnectionString=${MYSQL}Database=$MYSQL_DB;Maximum Pool Size=64") ;;
  *) echo "STORE must be sqlite or mysql" >&2; exit 2 ;;
esac

if [[ -z "${NO_BUILD:-}" ]]; then
  dotnet build "$root/Server" -c Release -v q -nologo >/dev/null
  dotnet build "$root/LoadTests" -c Release -v q -nologo >/dev/null
fi
server_dll="$root/Server/bin/Release/net10.0/Chat.Server.dll"
tool_dll="$root/LoadTests/bin/Release/net10.0/Chat.LoadTests.dll"
tokens="$DATA/tokens-$STORE.tsv"

if [[ ! -f "$DATA/seeded-$STORE" ]]; then
  echo "seeding $SEED_USERS users into $STORE (once)..." >&2
  dotnet "$server_dll" seed --users "$SEED_USERS" --prefix lt --password abc12345x --pairs --group 500 --shared-hash --tokens "$tokens" "${storage[@]}"
  touch "$DATA/seeded-$STORE"
fi

cpu_ticks() { awk '{ s = $0; sub(/^.*\) /, "", s); split(s, f, " "); print f[12] + f[13] }' "/proc/$1/stat"; }

# An upload run needs a file limit above the probe's size, a day's quota for repeated runs (the probe's file is the
# same bytes every run: stored once) and request rates above one connection's chunks per second (a chunk is a request).
server_extra=()
if [[ "$scenario" == upload ]]; then
  server_extra=(--Chat:Attachments:MaxFileBytes=4294967296 --Chat:Attachments:DailyQuotaBytes=1099511627776
    --Chat:Limits:ConnectionRequestsPerSecond=100000 --Chat:Limits:ConnectionBurst=100000
    --Chat:Limits:UserRequestsPerSecond=100000 --Chat:Limits:UserBurst=100000)
fi

# The server: Release, pinned to core 1; it does not need the seed's password (every user has a token).
METRICS_PORT=${METRICS_PORT:-9464}
case "${METRICS:-}" in
  "") metrics=() ;;
  off) metrics=("--Chat:Metrics:Port=$METRICS_PORT" --Chat:Metrics:Enabled=false) ;;
  on) metrics=("--Chat:Metrics:Port=$METRICS_PORT" --Chat:Metrics:Enabled=true) ;;
  *) echo "METRICS is on or off" >&2; exit 2 ;;
esac
# shellcheck disable=SC2086
taskset -c 1 dotnet "$server_dll" "--Chat:Transport:Port=$PORT" --Chat:Transport:MaxConnectionsPerAddress=100000 "${storage[@]}" "${metrics[@]}" "${server_extra[@]}" ${SERVER_ARGS:-} \
  >"$DATA/server-$STORE.log" 2>&1 &
server=$!
scraper=
stop_server() {
  if [ -n "$scraper" ]; then kill "$scraper" 2>/dev/null || true; wait "$scraper" 2>/dev/null || true; fi
  if kill -0 "$server" 2>/dev/null; then
    kill -TERM "$server"
    for _ in $(seq 1 30); do kill -0 "$server" 2>/dev/null || break; sleep 0.5; done
    kill -0 "$server" 2>/dev/null && kill -KILL "$server"
  fi
  wait "$server" 2>/dev/null || true
}
trap stop_server EXIT

for _ in $(seq 1 60); do
  grep -q "Application started" "$DATA/server-$STORE.log" && break
  kill -0 "$server" 2>/dev/null || { cat "$DATA/server-$STORE.log" >&2; exit 1; }
  sleep 0.5
done

if [ "${METRICS:-}" = on ]; then
  # On the tool's core: the scrape's cost to the server is what is measured, not curl's.
  taskset -c 0 bash -c "while sleep 1; do curl -fsS -o /dev/null http://127.0.0.1:$METRICS_PORT/metrics || true; done" &
  scraper=$!
fi

before=$(cpu_ticks "$server")
stamp=$(date +%Y%m%d-%H%M%S)
set +e
if [[ "$scenario" == upload ]]; then
  taskset -c 0 dotnet "$tool_dll" upload --server "127.0.0.1:$PORT" --server-pid "$server" --login lt0 --password abc12345x "$@" \
    | tee "$DATA/$scenario-$STORE-$stamp.txt"
  status=${PIPESTATUS[0]}
else
  taskset -c 0 dotnet "$tool_dll" "$scenario" --server "127.0.0.1:$PORT" --server-pid "$server" --tokens "$tokens" \
    --json "$DATA/$scenario-$STORE-$stamp.json" --csv "$DATA/$scenario-$STORE-$stamp.csv" "$@"
  status=$?
fi
set -e
after=$(cpu_ticks "$server")
echo "server pid $server: $(( (after - before) * 10 )) ms CPU over the whole run (/proc/$server/stat utime+stime); results in $DATA/$scenario-$STORE-$stamp.{json,csv}"
exit $status
