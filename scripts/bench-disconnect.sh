#!/usr/bin/env bash
# Disconnect storm: 19,000 signed-in connections dropped at once, and what the server spends afterwards.
# Starts the given server build on the SQLite store that scripts/bench.sh seeded (DATA/chat.db, tokens),
# connects 19,000 users with the load tool, holds them 5 s, lets the tool exit (every socket closes),
# then prints the server's CPU (/proc/PID/stat) per second for 60 s and stops the server by its PID.
#
#   scripts/bench-disconnect.sh <Chat.Server.dll> <label>       # DATA=/tmp/lt3 PORT=7612
set -u
dll=${1:?usage: scripts/bench-disconnect.sh <Chat.Server.dll> <label>}
label=${2:-run}
root=$(cd "$(dirname "$0")/.." && pwd)
DATA=${DATA:-/tmp/lt3}
PORT=${PORT:-7612}
tool="$root/LoadTests/bin/Release/net10.0/Chat.LoadTests.dll"

taskset -c 1 dotnet "$dll" "--Chat:Transport:Port=$PORT" --Chat:Transport:MaxConnectionsPerAddress=100000 \
  --Chat:Storage:Provider=Sqlite "--Chat:Storage:ConnectionString=Data Source=$DATA/chat.db" > "$DATA/dstorm-$label.log" 2>&1 &
server=$!
trap 'kill -TERM $server 2>/dev/null; wait $server 2>/dev/null' EXIT
for _ in $(seq 1 60); do grep -q "Application started" "$DATA/dstorm-$label.log" && break; sleep 0.5; done
ticks() { awk '{ s = $0; sub(/^.*\) /, "", s); split(s, f, " "); print f[12] + f[13] }' "/proc/$server/stat"; }

timeout 200 taskset -c 0 dotnet "$tool" connect --server "127.0.0.1:$PORT" --users 19000 --sources 8 --concurrency 128 \
  --tokens "$DATA/tokens-sqlite.tsv" --duration 5 --heartbeat 0 --server-pid "$server" > "$DATA/dstorm-$label.out" 2>&1
start=$(ticks); previous=$start; series=""
for _ in $(seq 1 60); do sleep 1; now=$(ticks); series="$series $((now - previous))"; previous=$now; done
echo "$label: server CPU after the drop, per second (ticks of 10 ms):$series; total $(( (previous - start) * 10 )) ms"
