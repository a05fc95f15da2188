#!/usr/bin/env bash
# The project's one test command (README "Test"; .ci/run calls exactly this).
#
#   scripts/test.sh           every test, as CI runs them
#   scripts/test.sh <tier>    one tier, with only what that tier needs (see --help)
#   scripts/test.sh --help    the tiers and what each needs
#
#  1. installs what the tests need, only if missing: mariadb-server, redis-server, chromium, fonts-noto-cjk, nginx, npm,
#     prometheus (Debian), and the npm packages of package.json (npm ci: axe-core for the accessibility tests);
#     a tier installs only its own (tier_packages below);
#  2. starts MariaDB (127.0.0.1:3306) and Redis (127.0.0.1:6379) unless already running (a tier: only those it
#     uses), creates the database wechat_db and the test user chat/chat (all privileges on wechat_db and chat_test_%);
#  3. exports CHAT_TEST_MYSQL, CHAT_TEST_REDIS, CHAT_TEST_CHROMIUM for the tests;
#  4. builds ChatServer.sln (Release), runs every test project with TRX output (a tier: --filter Tier=<tier>, the
#     trait every test class carries, tests/Tiers/Tiers.cs), and node's test runner on tests/js/*.test.{mjs,js}
#     if any (the unit tier and the whole run);
#  5. prints one last line "N passed, N failed, N skipped" counted from the real results, and exits
#     non-zero if the build or any test failed, or if no test ran.
#
# Services are left running (they are reused by the next run). Service logs: $CHAT_SERVICES_DIR
# (default /tmp/chat-services); test results and tool logs: $CHAT_RESULTS_DIR (default TestResults/);
# screenshots of the chat page from the browser tests: artifacts/screenshots/ (replaced on each run).
# Options (env): CHAT_SKIP_SERVICES=1 skips steps 1-2 (use services you configured yourself).
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT" || exit 2

# The tiers, as tests/Tiers/Tiers.cs names them (TierRuleTests checks that this line lists exactly those).
TIERS=(unit socket store cluster browser fault load)

usage() {
    cat <<'USAGE'
usage: scripts/test.sh [tier]

Without a tier: every test (what CI runs). With one: only the test classes of that tier
(dotnet test --filter Tier=<tier>), and only the packages and services it needs:

  unit     pure logic, codecs, parsers, options; the node tests of tests/js    needs: node
  socket   a real server or gateway on loopback over embedded SQLite           needs: prometheus (one metrics test)
  store    the store contracts on SQLite and MariaDB, socket tests on MariaDB  needs: MariaDB
  cluster  several nodes over one MariaDB and Redis (one test with a browser)  needs: MariaDB, Redis, chromium
  browser  the pages in Debian's Chromium (Playwright), nginx in front         needs: chromium, nginx, npm packages
  fault    processes killed, MariaDB/Redis taken away, fuzzing                 needs: MariaDB, redis-server
  load     the load-test tool against a real server                            needs: MariaDB, chromium

The last line is "N passed, N failed, N skipped" either way.
USAGE
}

TIER=""
case "$#:${1:-}" in
    0:) ;;
    1:-h | 1:--help) usage; exit 0 ;;
    1:*)
        for t in "${TIERS[@]}"; do [ "$1" = "$t" ] && TIER=$1; done
        if [ -z "$TIER" ]; then
            printf 'scripts/test.sh: unknown tier "%s"; the tiers: %s\n\n' "$1" "${TIERS[*]}" >&2
            usage >&2
            exit 2
        fi
        ;;
    *) usage >&2; exit 2 ;;
esac

RESULTS="${CHAT_RESULTS_DIR:-$ROOT/TestResults}"
SERVICES="${CHAT_SERVICES_DIR:-/tmp/chat-services}"
APT_LOCK_WAIT=600      # seconds to wait for another apt/dpkg to finish
SERVICE_WAIT=90        # seconds to wait for a service to answer
BUILD_TIMEOUT=25m
TEST_TIMEOUT=50m
NODE_TIMEOUT=10m

export DOTNET_NOLOGO=1 DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
export DEBIAN_FRONTEND=noninteractive
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1

rm -rf "$RESULTS"
mkdir -p "$RESULTS" "$SERVICES"
# The browser tests save screenshots of the chat page here (CI keeps artifacts/); start without stale ones.
SCREENSHOTS="$ROOT/artifacts/screenshots"
rm -rf "$SCREENSHOTS"

log() { printf '[test.sh] %s\n' "$*"; }
# A set-up step that went wrong: logged now and again beside the summary (CI shows the end of the output).
setup_notes=()
setup_problem() { log "$*"; setup_notes+=("$*"); }

if [ "$(id -u)" -eq 0 ]; then SUDO=(); else SUDO=(sudo -n); fi

# ---------------------------------------------------------------- 1. packages
apt_busy() {
    command -v fuser >/dev/null 2>&1 || return 1
    fuser /var/lib/dpkg/lock-frontend /var/lib/dpkg/lock /var/lib/apt/lists/lock \
        /var/cache/apt/archives/lock >/dev/null 2>&1
}

wait_for_apt() {
    local waited=0
    while apt_busy; do
        if [ "$waited" -ge "$APT_LOCK_WAIT" ]; then
            log "apt/dpkg is still locked after ${APT_LOCK_WAIT}s; trying anyway"
            return 0
        fi
        [ $((waited % 30)) -eq 0 ] && log "apt/dpkg is busy (another install?); waiting..."
        sleep 5; waited=$((waited + 5))
    done
}

# apt-get with lock waiting and a few retries (another process may hold the lock between our checks).
apt_retry() {
    local i
    for i in 1 2 3 4 5; do
        wait_for_apt
        if "${SUDO[@]}" apt-get -o DPkg::Lock::Timeout="$APT_LOCK_WAIT" -o Acquire::Retries=3 "$@" \
            </dev/null >>"$RESULTS/apt.log" 2>&1; then
            return 0
        fi
        log "apt-get $* failed (attempt $i, see $RESULTS/apt.log); retrying in 10s"
        sleep 10
    done
    return 1
}

pkg_installed() { dpkg -s "$1" 2>/dev/null | grep -q '^Status: install ok installed'; }

js_tests=()
if [ -d tests/js ]; then
    while IFS= read -r f; do js_tests+=("$f"); done < <(find tests/js -path '*/node_modules' -prune -o \
        -type f \( -name '*.test.mjs' -o -name '*.test.js' -o -name '*.test.cjs' \) -print | sort)
fi

# What a tier installs (Debian package names); the whole run installs all of them.
tier_packages() {
    case "$1" in
        unit) echo nodejs ;;
        socket) echo prometheus ;;
        store) echo mariadb-server ;;
        # ClusterBrowserTests follow a browser from a lost node to a live one.
        cluster) echo mariadb-server redis-server chromium fonts-noto-cjk ;;
        browser) echo chromium fonts-noto-cjk nginx npm ;;
        # A private mariadbd and a private redis-server are started and killed (the binaries only).
        fault) echo mariadb-server redis-server ;;
        # LoadReportTests open the tool's HTML report in Chromium.
        load) echo mariadb-server chromium ;;
        *) echo mariadb-server redis-server chromium nginx prometheus psmisc fonts-noto-cjk nodejs npm ;;
    esac
}

# What a tier starts: MariaDB for every test on a MariaDB database, Redis for the clusters.
tier_uses() {
    case "$1:${TIER:-all}" in
        mariadb:store | mariadb:cluster | mariadb:fault | mariadb:load | mariadb:all) return 0 ;;
        redis:cluster | redis:all) return 0 ;;
        *) return 1 ;;
    esac
}

# The program a package brings, for the packages whose program the tests run.
package_program() {
    case "$1" in
        mariadb-server) [ -x /usr/sbin/mariadbd ] ;;
        redis-server) command -v redis-server >/dev/null 2>&1 ;;
        chromium) [ -x /usr/bin/chromium ] ;;
        nginx) [ -x /usr/sbin/nginx ] ;;
        # The metrics acceptance test runs Debian's Prometheus against a live server and gateway (not as a service).
        prometheus) [ -x /usr/bin/prometheus ] ;;
        *) return 1 ;;
    esac
}

package_present() {
    case "$1" in
        mariadb-server | redis-server | chromium | nginx | prometheus) package_program "$1" && pkg_installed "$1" ;;
        psmisc) command -v fuser >/dev/null 2>&1 ;;
        # node runs the tests of tests/js (and the protocol generator's check).
        nodejs) [ "${#js_tests[@]}" -eq 0 ] || command -v node >/dev/null 2>&1 ;;
        # npm brings axe-core (package.json), which the accessibility tests inject into the pages.
        npm) [ ! -f package.json ] || command -v npm >/dev/null 2>&1 ;;
        # fonts-noto-cjk: CJK glyphs for the browser tests' screenshots of the zh-CN pages.
        *) pkg_installed "$1" ;;
    esac
}

install_packages() {
    local missing=() p
    for p in $(tier_packages "${TIER:-all}"); do package_present "$p" || missing+=("$p"); done
    # fuser lets apt_busy see another install's lock.
    if [ "${#missing[@]}" -gt 0 ] && ! package_present psmisc && [[ " ${missing[*]} " != *" psmisc "* ]]; then
        missing+=(psmisc)
    fi
    if [ "${#missing[@]}" -eq 0 ]; then
        log "packages: all present"
        return 0
    fi
    log "installing: ${missing[*]} (log: $RESULTS/apt.log)"
    apt_retry update || { setup_problem "apt-get update failed (see $RESULTS/apt.log)"; return 1; }
    apt_retry install -y --no-install-recommends "${missing[@]}" \
        || { setup_problem "apt-get install ${missing[*]} failed (see $RESULTS/apt.log)"; return 1; }
    for p in "${missing[@]}"; do
        pkg_installed "$p" || { setup_problem "package $p is not installed after apt-get install"; return 1; }
    done
}

# ---------------------------------------------------------------- 2. services
mysql_alive() { mariadb-admin --protocol=tcp -h127.0.0.1 -P3306 --connect-timeout=2 ping >/dev/null 2>&1; }
chat_user_works() {
    mariadb --protocol=tcp -h127.0.0.1 -P3306 -uchat -pchat --connect-timeout=3 -e 'select 1' wechat_db \
        >/dev/null 2>&1
}

start_mariadb() {
    if mysql_alive; then
        log "MariaDB: already running on 127.0.0.1:3306, reusing it"
    else
        "${SUDO[@]}" mkdir -p /run/mysqld && "${SUDO[@]}" chown mysql:mysql /run/mysqld
        if [ ! -d /var/lib/mysql/mysql ]; then
            log "MariaDB: initialising the data directory"
            "${SUDO[@]}" mariadb-install-db --user=mysql --datadir=/var/lib/mysql \
                >>"$SERVICES/mariadb-install.log" 2>&1 || { setup_problem "mariadb-install-db failed"; return 1; }
        fi
        log "MariaDB: starting (log: $SERVICES/mariadb.log)"
        # No systemd here: run the server itself, detached from this shell so it outlives the script.
        "${SUDO[@]}" setsid nohup /usr/sbin/mariadbd --user=mysql --bind-address=127.0.0.1 --port=3306 \
            --socket=/run/mysqld/mysqld.sock </dev/null >>"$SERVICES/mariadb.log" 2>&1 &
        local waited=0
        until mysql_alive; do
            if [ "$waited" -ge "$SERVICE_WAIT" ]; then
                setup_problem "MariaDB did not answer within ${SERVICE_WAIT}s; last log lines:"
                tail -n 20 "$SERVICES/mariadb.log" | sed 's/^/    /'
                return 1
            fi
            sleep 1; waited=$((waited + 1))
        done
        log "MariaDB: up after ${waited}s"
    fi
    # Database and test user (idempotent). Root signs in over the socket (unix_socket auth).
    if ! "${SUDO[@]}" mariadb --protocol=socket -uroot >>"$SERVICES/mariadb-setup.log" 2>&1 <<'SQL'
CREATE DATABASE IF NOT EXISTS wechat_db CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
CREATE USER IF NOT EXISTS 'chat'@'localhost' IDENTIFIED BY 'chat';
CREATE USER IF NOT EXISTS 'chat'@'127.0.0.1' IDENTIFIED BY 'chat';
CREATE USER IF NOT EXISTS 'chat'@'::1' IDENTIFIED BY 'chat';
ALTER USER 'chat'@'localhost' IDENTIFIED BY 'chat';
ALTER USER 'chat'@'127.0.0.1' IDENTIFIED BY 'chat';
ALTER USER 'chat'@'::1' IDENTIFIED BY 'chat';
GRANT ALL PRIVILEGES ON `wechat_db`.* TO 'chat'@'localhost', 'chat'@'127.0.0.1', 'chat'@'::1';
GRANT ALL PRIVILEGES ON `chat\_test\_%`.* TO 'chat'@'localhost', 'chat'@'127.0.0.1', 'chat'@'::1';
FLUSH PRIVILEGES;
-- Every test server keeps a pool of connections; the default 151 runs out when suites run side by side.
SET GLOBAL max_connections = 1000;
SQL
    then
        log "MariaDB: could not set up wechat_db/chat as root (see $SERVICES/mariadb-setup.log)"
    fi
    if chat_user_works; then
        log "MariaDB: user chat can use wechat_db over 127.0.0.1:3306"
    else
        setup_problem "MariaDB: user chat cannot sign in over TCP 127.0.0.1:3306"
        return 1
    fi
}

redis_alive() { redis-cli -h 127.0.0.1 -p 6379 ping 2>/dev/null | grep -q PONG; }

start_redis() {
    if redis_alive; then
        log "Redis: already running on 127.0.0.1:6379, reusing it"
        return 0
    fi
    log "Redis: starting (log: $SERVICES/redis.log)"
    redis-server --bind 127.0.0.1 --port 6379 --daemonize yes --protected-mode yes \
        --dir "$SERVICES" --pidfile "$SERVICES/redis.pid" --logfile "$SERVICES/redis.log" \
        --save '' --appendonly no >>"$SERVICES/redis-start.log" 2>&1
    local waited=0
    until redis_alive; do
        if [ "$waited" -ge "$SERVICE_WAIT" ]; then
            setup_problem "Redis did not answer within ${SERVICE_WAIT}s; last log lines:"
            tail -n 20 "$SERVICES/redis.log" "$SERVICES/redis-start.log" 2>/dev/null | sed 's/^/    /'
            return 1
        fi
        sleep 1; waited=$((waited + 1))
    done
    log "Redis: up after ${waited}s"
}

# What the tests need of a package, looked at once the tests have run: its program (or files) in place, whatever
# dpkg says of it. A package whose maintainer script failed (a service it could not start without systemd) is
# "half-configured" to dpkg and still usable.
package_usable() {
    case "$1" in
        mariadb-server | redis-server | chromium | nginx | prometheus) package_program "$1" ;;
        # Only the screenshots (for people) need the CJK glyphs, and psmisc only lets apt_busy see a lock: no test
        # fails without them, so neither fails the run once the tests have passed.
        fonts-noto-cjk | psmisc)
            package_present "$1" || log "after the tests: $1 is missing (not needed by any test; see above)"
            ;;
        *) package_present "$1" ;;
    esac
}

# After a failed set-up step: is everything the tier uses there now (a service that answered late, an install
# whose only error was a service start)? Says what is still missing.
setup_usable_now() {
    local p missing=0
    for p in $(tier_packages "${TIER:-all}"); do
        package_usable "$p" || { log "after the tests: $p is still missing"; missing=1; }
    done
    if tier_uses mariadb && ! chat_user_works; then log "after the tests: MariaDB does not let user chat in"; missing=1; fi
    if tier_uses redis && ! redis_alive; then log "after the tests: Redis does not answer"; missing=1; fi
    return "$missing"
}

setup_failed=0
if [ "${CHAT_SKIP_SERVICES:-0}" = "1" ]; then
    log "CHAT_SKIP_SERVICES=1: not installing or starting services"
else
    install_packages || setup_failed=1
    if tier_uses mariadb; then start_mariadb || setup_failed=1; fi
    if tier_uses redis; then start_redis || setup_failed=1; fi
fi

# ---------------------------------------------------------------- 3. what the tests read
export CHAT_TEST_MYSQL="${CHAT_TEST_MYSQL:-Server=127.0.0.1;Port=3306;User ID=chat;Password=chat;}"
export CHAT_TEST_REDIS="${CHAT_TEST_REDIS:-127.0.0.1:6379}"
export CHAT_TEST_CHROMIUM="${CHAT_TEST_CHROMIUM:-/usr/bin/chromium}"
log "CHAT_TEST_MYSQL=$CHAT_TEST_MYSQL"
log "CHAT_TEST_REDIS=$CHAT_TEST_REDIS"
log "CHAT_TEST_CHROMIUM=$CHAT_TEST_CHROMIUM"

# npm packages the tests use (package.json / package-lock.json: axe-core for the accessibility tests). The web
# app's own files from npm are vendored into WebGateway/wwwroot and committed, so running the app needs no npm.
if [ -f package.json ] && { [ -z "$TIER" ] || [ "$TIER" = browser ]; }; then
    if ! command -v npm >/dev/null 2>&1; then
        log "npm is not on PATH: the accessibility tests will miss node_modules/axe-core"
    elif [ ! -f node_modules/axe-core/axe.min.js ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
        log "npm ci (log: $RESULTS/npm.log)"
        timeout 10m npm ci --no-audit --no-fund </dev/null >"$RESULTS/npm.log" 2>&1 \
            || log "npm ci failed (see $RESULTS/npm.log): the accessibility tests will fail"
    fi
fi

# ---------------------------------------------------------------- 4. build and test
build_rc=0 dotnet_rc=0 node_rc=0
if ! command -v dotnet >/dev/null 2>&1; then
    log "dotnet is not on PATH"
    build_rc=127
else
    log "building ChatServer.sln (Release)"
    timeout "$BUILD_TIMEOUT" dotnet build ChatServer.sln -c Release -nologo </dev/null >"$RESULTS/build.log" 2>&1
    build_rc=$?
    # Show the interesting part only; the full output is in build.log.
    grep -E ' -> |error|warning [A-Z]+[0-9]+:|Build succeeded|Build FAILED|Time Elapsed' "$RESULTS/build.log" \
        | awk '!seen[$0]++' | head -n 200
    [ "$build_rc" -eq 0 ] || log "build FAILED (exit $build_rc; full log: $RESULTS/build.log)"
fi

if [ "$build_rc" -eq 0 ]; then
    filter=()
    [ -z "$TIER" ] || filter=(--filter "Tier=$TIER")
    log "running .NET tests${TIER:+ of the $TIER tier} (TRX in $RESULTS)"
    timeout "$TEST_TIMEOUT" dotnet test ChatServer.sln -c Release --no-build -nologo "${filter[@]}" \
        --logger trx --results-directory "$RESULTS" \
        --blame-hang-timeout 15m --blame-hang-dump-type none </dev/null 2>&1 | tee "$RESULTS/dotnet-test.log"
    dotnet_rc=${PIPESTATUS[0]}
    [ "$dotnet_rc" -eq 0 ] || log "dotnet test exited with $dotnet_rc"
fi

node_pass=0 node_fail=0 node_skip=0
if [ "${#js_tests[@]}" -gt 0 ] && { [ -z "$TIER" ] || [ "$TIER" = unit ]; }; then
    if ! command -v node >/dev/null 2>&1; then
        log "node is not on PATH but tests/js has tests"
        node_rc=127
    else
        if [ -f tests/js/package-lock.json ]; then
            log "npm ci in tests/js"
            (cd tests/js && npm ci --no-audit --no-fund </dev/null >>"$RESULTS/npm.log" 2>&1) \
                || { log "npm ci failed (see $RESULTS/npm.log)"; node_rc=1; }
        fi
        log "running node --test on ${#js_tests[@]} file(s) in tests/js"
        timeout "$NODE_TIMEOUT" node --test --test-reporter=tap "${js_tests[@]}" </dev/null 2>&1 \
            | tee "$RESULTS/node-test.tap"
        rc=${PIPESTATUS[0]}
        [ "$rc" -eq 0 ] || { log "node --test exited with $rc"; node_rc=$rc; }
        tap_count() { grep -E "^# $1 [0-9]+\$" "$RESULTS/node-test.tap" | tail -n 1 | awk '{print $3}'; }
        node_pass=$(tap_count pass); node_fail=$(tap_count fail); node_skip=$(tap_count skipped)
        node_todo=$(tap_count todo); node_cancelled=$(tap_count cancelled)
        node_pass=${node_pass:-0}; node_fail=$(( ${node_fail:-0} + ${node_cancelled:-0} ))
        node_skip=$(( ${node_skip:-0} + ${node_todo:-0} ))
        # A crashed runner prints no summary: count it as a failure.
        if [ "$node_rc" -ne 0 ] && [ "$node_fail" -eq 0 ]; then node_fail=1; fi
    fi
fi

# ---------------------------------------------------------------- 5. summary
trx_pass=0 trx_fail=0 trx_skip=0 trx_files=0
attr() { grep -o " $1=\"[0-9]*\"" <<<"$2" | head -n 1 | tr -dc '0-9'; }
shopt -s nullglob
for trx in "$RESULTS"/*.trx; do
    trx_files=$((trx_files + 1))
    counters=$(tr '\n' ' ' <"$trx" | grep -o '<Counters [^>]*>' | head -n 1)
    [ -n "$counters" ] || { log "no <Counters> in $trx"; trx_fail=$((trx_fail + 1)); continue; }
    p=$(attr passed "$counters"); f=$(attr failed "$counters"); e=$(attr error "$counters")
    t=$(attr timeout "$counters"); a=$(attr aborted "$counters"); n=$(attr notExecuted "$counters")
    trx_pass=$((trx_pass + ${p:-0}))
    trx_fail=$((trx_fail + ${f:-0} + ${e:-0} + ${t:-0} + ${a:-0}))
    # VSTest's TRX counts xunit skips in total but leaves notExecuted at 0: use total - executed then.
    tot=$(attr total "$counters"); ex=$(attr executed "$counters")
    unrun=$(( ${tot:-0} - ${ex:-0} )); n=${n:-0}
    [ "$unrun" -gt "$n" ] && n=$unrun
    trx_skip=$((trx_skip + n))
done
# dotnet test failed but no TRX says so (crash, hang, timeout): count it as a failure.
if [ "$build_rc" -eq 0 ] && [ "$dotnet_rc" -ne 0 ] && [ "$trx_fail" -eq 0 ]; then trx_fail=1; fi
# A failed build runs no .NET test: count it as one failure so the summary cannot read as green.
[ "$build_rc" -eq 0 ] || trx_fail=$((trx_fail + 1))

passed=$((trx_pass + node_pass))
failed=$((trx_fail + node_fail))
skipped=$((trx_skip + node_skip))

status=0
if [ "$setup_failed" -ne 0 ]; then
    for note in "${setup_notes[@]}"; do log "set-up: $note"; done
    if setup_usable_now; then
        log "every package and service the tests use is in place now: the set-up's failure above is not counted"
    else
        log "service setup failed (see messages above)"
        status=1
    fi
fi
[ "$build_rc" -eq 0 ] || status=1
[ "$dotnet_rc" -eq 0 ] || status=1
[ "$node_rc" -eq 0 ] || status=1
[ "$failed" -eq 0 ] || status=1
[ $((passed + failed)) -gt 0 ] || { log "no test ran"; status=1; }
shots=0
[ -d "$SCREENSHOTS" ] && shots=$(find "$SCREENSHOTS" -type f -name '*.png' | wc -l)
log "screenshots: $SCREENSHOTS ($shots file(s))"
log "results${TIER:+ of the $TIER tier}: $RESULTS ($trx_files TRX file(s)); service logs: $SERVICES; exit $status"

echo "$passed passed, $failed failed, $skipped skipped"
exit "$status"
