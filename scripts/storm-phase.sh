# Sourced by storm-split.sh and storm-warm.sh: the login phase of one ../shared/bench-peers driver run, read from the
# server's /proc/PID/stat when the driver prints its "warm-up:" line and again at its "login:" line (both on stderr).

# utime, stime (clock ticks) and minor faults of a process.
storm_stat() { awk '{ s = $0; sub(/^.*\) /, "", s); split(s, f, " "); print f[12], f[13], f[8] }' "/proc/$1/stat"; }

# storm_watch ERR RUN [PID]: follows the driver (process RUN, stderr in file ERR) until its login phase ends, and sets
# storm_first and storm_last (storm_stat at either end; empty when the phase was not seen). Without PID, the server's
# PID is taken from run.sh's "server pid N" line. Bounded: 8,000 looks 50 ms apart, 400 s (the driver stops at 300 s).
storm_watch() {
  local err=$1 run=$2 pid=${3:-}
  storm_first=""; storm_last=""
  for _ in $(seq 1 8000); do
    kill -0 "$run" 2>/dev/null || break
    if [ -z "$storm_first" ] && grep -q "warm-up:" "$err"; then
      [ -n "$pid" ] || pid=$(sed -n 's/.*server pid \([0-9]*\)).*/\1/p' "$err" | head -1)
      storm_first=$(storm_stat "$pid")
    fi
    if [ -n "$storm_first" ] && grep -q "login:" "$err"; then storm_last=$(storm_stat "$pid"); return; fi
    sleep 0.05
  done
}

# storm_split CLIENTS: user and kernel µs per login and the minor faults between storm_first and storm_last.
storm_split() {
  local u1 s1 f1 u2 s2 f2 tick
  read -r u1 s1 f1 <<< "$storm_first"; read -r u2 s2 f2 <<< "$storm_last"
  tick=$(getconf CLK_TCK)
  echo "user_us=$(( (u2 - u1) * 1000000 / tick / $1 )) sys_us=$(( (s2 - s1) * 1000000 / tick / $1 )) minflt=$((f2 - f1))"
}

# storm_field LINE KEY: the value of KEY=... in the driver's summary line.
storm_field() { sed -n "s/.*$2=\([0-9.]*\).*/\1/p" <<< "$1"; }
