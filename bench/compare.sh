#!/usr/bin/env bash
# scaletrace, oha and wrk2 side by side against nginx on 127.0.0.1, and the
# simulator's own speed.
#
#   bench/compare.sh [RESULTS.md]        (default: bench/results.md)
#   bench/compare.sh --serve             only start the nginx endpoint, print
#                                        its URL and wait (Ctrl-C stops it)
#
# Environment (all optional):
#   RATES="2000 20000"   target rates against the immediate endpoint
#   SLOW_RATE=200        rate against the 20 ms endpoint (0: skip)
#   HEADROOM_RATE=30000  the headroom run (0: skip)
#   HEADROOM_TOOLS="scaletrace wrk2"
#   TOOLS="scaletrace oha wrk2"
#   DURATION=10          seconds of load per run (wrk2 runs WRK2_CALIBRATION
#                        seconds longer: it discards its calibration period)
#   REPEAT=1             runs per (case, tool); the table shows the median
#                        run by CPU per request, every run is listed below it
#   LOAD_CORE=0          core the load generator is pinned to
#   SERVER_CORE=1        core nginx is pinned to
#   OHA_CONNECTIONS=100  oha -c, and wrk2 -c (see bench/README.md for why)
#   WRK2_SRC=DIR         a source checkout of github.com/giltene/wrk2; built
#                        there with make when DIR/wrk is missing; without it
#                        wrk2 is skipped with a note
#   SIM_HOURS=24         simulated hours for the simulator-speed table (0: skip)
#   SIM_CANDIDATES=...   the simulate sweep's target values (8 by default)
#   SKIP_BUILD=1         use the existing target/release/scaletrace
#
# Needs root for the installs (nginx, its echo module, time, jq from Debian;
# oha with cargo); everything already installed is used as is. See
# bench/README.md.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SERVE_ONLY=0
if [ "${1:-}" = --serve ]; then
    SERVE_ONLY=1
    shift
fi
OUT="${1:-$ROOT/bench/results.md}"
RATES="${RATES:-2000 20000}"
SLOW_RATE="${SLOW_RATE:-200}"
SLOW_MS=20
HEADROOM_RATE="${HEADROOM_RATE:-30000}"
HEADROOM_TOOLS="${HEADROOM_TOOLS:-scaletrace wrk2}"
TOOLS="${TOOLS:-scaletrace oha wrk2}"
WRK2_CALIBRATION="${WRK2_CALIBRATION:-11}"
SIM_HOURS="${SIM_HOURS:-24}"
SIM_CANDIDATES="${SIM_CANDIDATES:-1200,1500,1800,2100,2400,2700,3000,3300}"
DURATION="${DURATION:-10}"
REPEAT="${REPEAT:-1}"
LOAD_CORE="${LOAD_CORE:-0}"
SERVER_CORE="${SERVER_CORE:-1}"
OHA_CONNECTIONS="${OHA_CONNECTIONS:-100}"

log() { printf '[compare] %s\n' "$*" >&2; }

# ---------------------------------------------------------------- installs
apt_updated=0
apt_install() {
    if [ "$apt_updated" = 0 ]; then
        apt-get update -qq
        apt_updated=1
    fi
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}
NGINX="$(command -v nginx || true)"
[ -z "$NGINX" ] && [ -x /usr/sbin/nginx ] && NGINX=/usr/sbin/nginx
if [ -z "$NGINX" ]; then
    log "installing nginx"
    apt_install nginx
    NGINX=/usr/sbin/nginx
fi
ECHO_MODULE=/usr/lib/nginx/modules/ngx_http_echo_module.so
if [ ! -f "$ECHO_MODULE" ]; then
    log "installing libnginx-mod-http-echo (echo_sleep: the 20 ms endpoint)"
    apt_install libnginx-mod-http-echo
fi
if [ ! -x /usr/bin/time ]; then
    log "installing time"
    apt_install time
fi
command -v jq >/dev/null || { log "installing jq"; apt_install jq; }
command -v taskset >/dev/null || { log "installing util-linux"; apt_install util-linux; }
export PATH="$HOME/.cargo/bin:$PATH"
if [ "$SERVE_ONLY" = 0 ] && [[ " $TOOLS " == *" oha "* ]] && ! command -v oha >/dev/null; then
    log "installing oha (cargo install oha --locked; takes a few minutes)"
    cargo install oha --locked
fi
OHA="$(command -v oha || true)"

# wrk2 is not packaged: built from the checkout WRK2_SRC names, or skipped.
WRK2=""
WRK2_NOTE=""
if [ "$SERVE_ONLY" = 0 ] && [[ " $TOOLS $HEADROOM_TOOLS " == *" wrk2 "* ]]; then
    if [ -z "${WRK2_SRC:-}" ] || [ ! -f "${WRK2_SRC:-}/Makefile" ]; then
        WRK2_NOTE="wrk2 skipped: set WRK2_SRC to a source checkout of github.com/giltene/wrk2"
        log "$WRK2_NOTE"
    else
        if [ ! -x "$WRK2_SRC/wrk" ]; then
            log "building wrk2 in $WRK2_SRC (make; needs gcc, make, libssl-dev, zlib1g-dev)"
            (cd "$WRK2_SRC" && make -j"$(nproc)" >/dev/null) || { log "wrk2 did not build"; exit 1; }
        fi
        WRK2="$WRK2_SRC/wrk"
    fi
fi
has_tool() {
    case "$1" in
        wrk2) [ -n "$WRK2" ] ;;
        oha) [ -n "$OHA" ] ;;
        *) true ;;
    esac
}

if [ "$SERVE_ONLY" = 1 ]; then
    : # neither oha nor scaletrace needed
elif [ "${SKIP_BUILD:-0}" != 1 ]; then
    log "building scaletrace (cargo build --release)"
    (cd "$ROOT" && cargo build --release --quiet)
fi
SCALETRACE="${CARGO_TARGET_DIR:-$ROOT/target}/release/scaletrace"
[ "$SERVE_ONLY" = 1 ] || [ -x "$SCALETRACE" ] || { log "no $SCALETRACE"; exit 1; }

# oha's flag spellings changed across versions.
[ "$SERVE_ONLY" = 1 ] || [ -z "$OHA" ] || {
OHA_HELP="$("$OHA" --help)"
if grep -q -- '--output-format' <<<"$OHA_HELP"; then
    OHA_JSON=(--output-format json)
else
    OHA_JSON=(-j)
fi
for flag in --latency-correction --no-tui -q -z -c -m -d -T; do
    grep -q -- "$flag" <<<"$OHA_HELP" || { log "oha lacks $flag"; exit 1; }
done
}

# ---------------------------------------------------------------- nginx
WORK="$(mktemp -d /tmp/scaletrace-bench.XXXXXX)"
NGINX_PID=""
cleanup() {
    if [ -n "$NGINX_PID" ] && kill -0 "$NGINX_PID" 2>/dev/null; then
        kill "$NGINX_PID" 2>/dev/null || true
        wait "$NGINX_PID" 2>/dev/null || true
    fi
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

start_nginx() {
    local port="$1"
    mkdir -p "$WORK/nginx/tmp"
    cat >"$WORK/nginx/nginx.conf" <<EOF
# One worker on one core; no logging, no disk: the cheapest possible endpoint.
load_module $ECHO_MODULE;
worker_processes 1;
daemon off;
pid $WORK/nginx/nginx.pid;
error_log $WORK/nginx/error.log warn;
events {
    worker_connections 65536;
    multi_accept on;
}
worker_rlimit_nofile 70000;
http {
    access_log off;
    client_body_temp_path $WORK/nginx/tmp/body;
    proxy_temp_path $WORK/nginx/tmp/proxy;
    fastcgi_temp_path $WORK/nginx/tmp/fastcgi;
    uwsgi_temp_path $WORK/nginx/tmp/uwsgi;
    scgi_temp_path $WORK/nginx/tmp/scgi;
    # Connections are reused for the whole run by both tools.
    keepalive_requests 10000000;
    keepalive_timeout 120s;
    server {
        listen 127.0.0.1:$port backlog=4096;
        # POST to a static file is a 405; \`return\` answers any method.
        location = /invocations {
            default_type application/json;
            return 200 '{"ok":true}';
        }
        # The slow endpoint: answers after $SLOW_MS ms (a timer in nginx's
        # event loop, no thread held).
        location = /slow {
            default_type application/json;
            echo_read_request_body;
            echo_sleep 0.020;
            echo '{"ok":true}';
        }
        location = /ping {
            default_type text/plain;
            return 200 'ok';
        }
        location / { return 404; }
    }
}
EOF
    taskset -c "$SERVER_CORE" "$NGINX" -p "$WORK/nginx" -c "$WORK/nginx/nginx.conf" \
        >"$WORK/nginx/stdout.log" 2>&1 &
    NGINX_PID=$!
    local i
    for i in $(seq 50); do
        if curl_ok "http://127.0.0.1:$port/ping"; then
            return 0
        fi
        kill -0 "$NGINX_PID" 2>/dev/null || break
        sleep 0.1
    done
    return 1
}

# GET with bash alone (no curl dependency): true on a 200.
curl_ok() {
    local hostport="${1#http://}"
    hostport="${hostport%%/*}"
    local path="/${1#http://*/}"
    local host="${hostport%:*}" port="${hostport#*:}"
    (
        exec 3<>"/dev/tcp/$host/$port" || exit 1
        printf 'GET %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n' "$path" "$host" >&3
        head -n1 <&3 | grep -q ' 200 '
    ) 2>/dev/null
}

PORT=""
for candidate in $(shuf -i 20000-60999 -n 20); do
    port_free "$candidate" || continue
    if start_nginx "$candidate"; then
        PORT="$candidate"
        break
    fi
    kill "$NGINX_PID" 2>/dev/null || true
    wait "$NGINX_PID" 2>/dev/null || true
    NGINX_PID=""
done
[ -n "$PORT" ] || { log "nginx did not start:"; cat "$WORK/nginx/error.log" >&2 || true; exit 1; }
URL="http://127.0.0.1:$PORT"
NGINX_PIDS="$(pgrep -P "$NGINX_PID" | tr '\n' ' ') $NGINX_PID"
log "nginx on $URL (pids $NGINX_PIDS) pinned to core $SERVER_CORE; load on core $LOAD_CORE"
if [ "$SERVE_ONLY" = 1 ]; then
    echo "$URL"
    wait "$NGINX_PID"
    exit 0
fi

# ---------------------------------------------------------------- measuring
# CPU ticks (USER_HZ) the whole machine was busy, and that nginx used.
machine_busy_ticks() { awk '/^cpu /{print $2+$3+$4+$7+$8+$9}' /proc/stat; }
nginx_ticks() {
    local t=0 p
    for p in $NGINX_PIDS; do
        t=$((t + $(awk '{print $14+$15}' "/proc/$p/stat" 2>/dev/null || echo 0)))
    done
    echo "$t"
}
HZ="$(getconf CLK_TCK)"

# time -v's report → "cpu_s rss_kib"
time_stats() {
    awk -F': ' '
        /User time \(seconds\)/ {u=$2}
        /System time \(seconds\)/ {s=$2}
        /Maximum resident set size/ {r=$2}
        /Elapsed \(wall clock\)/ {n = split($2, t, ":"); w = 0; for (i = 1; i <= n; i++) w = w * 60 + t[i]}
        END {printf "%.2f %d %.1f\n", u+s, r, w}' "$1"
}

# One row per run, tab-separated:
#  1 case  2 tool  3 rate  4 run  5 achieved  6 p50  7 p99  8 cpu_per_100k
#  9 rss_mib  10 completed  11 cpu_s  12 nginx_cpu_s  13 other_cpu_s  14 wall_s
#  15 lag_p50_us  16 lag_p99_us  17 lag_max_us  18 load1 (before the run)
RESULTS="$WORK/results.tsv"
: >"$RESULTS"
LOADS="$WORK/loads.txt" # `uptime` before each run
: >"$LOADS"

cat >"$WORK/post.lua" <<'LUA'
-- wrk2: the same request as the other tools send.
wrk.method = "POST"
wrk.body = "{}"
wrk.headers["Content-Type"] = "application/json"
LUA

# wrk2's "Latency Distribution" line for a percentile, in ms.
wrk2_ms() {
    awk -v want="$2" '
        $1 == want { v = $2
            if (v ~ /us$/) { sub(/us$/, "", v); print v / 1000 }
            else if (v ~ /ms$/) { sub(/ms$/, "", v); print v + 0 }
            else if (v ~ /m$/) { sub(/m$/, "", v); print v * 60000 }
            else if (v ~ /s$/) { sub(/s$/, "", v); print v * 1000 }
            exit }' "$1"
}

# case: fast (the immediate endpoint), slow (20 ms), headroom (immediate).
run_one() {
    local case="$1" tool="$2" rate="$3" run="$4"
    local dir="$WORK/$case-$tool-$rate-$run"
    mkdir -p "$dir"
    local path=/invocations
    [ "$case" = slow ] && path=/slow
    local cmd
    case "$tool" in
        scaletrace)
            cmd=("$SCALETRACE" run --url "$URL$path" --rate "$rate" --duration "${DURATION}s"
                --run-dir "$dir/run" --quiet) ;;
        oha)
            cmd=("$OHA" -q "$rate" -z "${DURATION}s" -c "$OHA_CONNECTIONS" --latency-correction
                --no-tui -m POST -T application/json -d '{}' "${OHA_JSON[@]}" "$URL$path") ;;
        wrk2)
            cmd=("$WRK2" -t1 -c "$OHA_CONNECTIONS" -d "$((DURATION + WRK2_CALIBRATION))s" -R "$rate"
                --latency -s "$WORK/post.lua" "$URL$path") ;;
    esac
    local load1
    load1="$(awk '{print $1}' /proc/loadavg)"
    echo "$case $tool $rate/s run $run: $(uptime)" >>"$LOADS"
    local busy0 ng0 busy1 ng1
    busy0="$(machine_busy_ticks)"
    ng0="$(nginx_ticks)"
    /usr/bin/time -v -o "$dir/time.txt" taskset -c "$LOAD_CORE" "${cmd[@]}" \
        >"$dir/stdout" 2>"$dir/stderr" || {
        log "$tool at $rate/s failed:"
        cat "$dir/stderr" >&2
        exit 1
    }
    busy1="$(machine_busy_ticks)"
    ng1="$(nginx_ticks)"
    local cpu rss wall
    read -r cpu rss wall < <(time_stats "$dir/time.txt")
    local achieved p50 p99 completed lag50=-1 lag99=-1 lagmax=-1
    case "$tool" in
        scaletrace)
            local s="$dir/run/summary.json"
            achieved="$(jq '.rate.achieved_per_s' "$s")"
            p50="$(jq '.latency_ms.p50' "$s")"
            p99="$(jq '.latency_ms.p99' "$s")"
            completed="$(jq '.requests.completed' "$s")"
            lag50="$(jq '(.send_lag_ms.p50 // -0.001) * 1000' "$s")"
            lag99="$(jq '(.send_lag_ms.p99 // -0.001) * 1000' "$s")"
            lagmax="$(jq '(.send_lag_ms.max // -0.001) * 1000' "$s")"
            ;;
        oha)
            local j="$dir/stdout"
            # 2xx responses over the nominal duration, as scaletrace counts it.
            achieved="$(jq --argjson d "$DURATION" \
                '[.statusCodeDistribution | to_entries[] | select(.key|startswith("2")) | .value] | add // 0 | . / $d' "$j")"
            p50="$(jq '.latencyPercentiles.p50 * 1000' "$j")"
            p99="$(jq '.latencyPercentiles.p99 * 1000' "$j")"
            completed="$(jq '[.statusCodeDistribution[]] | add // 0' "$j")"
            ;;
        wrk2)
            local o="$dir/stdout"
            # Responses over the whole run (calibration included, as its CPU
            # is), minus non-2xx; its latency is the post-calibration part.
            completed="$(awk '/requests in/ {print $1; exit}' "$o")"
            local bad
            bad="$(awk -F': ' '/Non-2xx/ {print $2}' "$o")"
            achieved="$(awk -v n="$completed" -v b="${bad:-0}" -v w="$((DURATION + WRK2_CALIBRATION))" \
                'BEGIN {printf "%.1f", (n - b) / w}')"
            p50="$(wrk2_ms "$o" 50.000%)"
            p99="$(wrk2_ms "$o" 99.000%)"
            ;;
    esac
    awk -v case="$case" -v tool="$tool" -v rate="$rate" -v run="$run" -v a="$achieved" -v p50="$p50" \
        -v p99="$p99" -v cpu="$cpu" -v rss="$rss" -v n="$completed" -v hz="$HZ" \
        -v busy="$((busy1 - busy0))" -v ng="$((ng1 - ng0))" -v wall="$wall" \
        -v l50="$lag50" -v l99="$lag99" -v lmax="$lagmax" -v load1="$load1" 'BEGIN {
            per = n > 0 ? cpu * 100000 / n : 0
            other = (busy - ng) / hz - cpu; if (other < 0) other = 0
            printf "%s\t%s\t%s\t%s\t%.1f\t%.3f\t%.3f\t%.2f\t%.1f\t%d\t%.2f\t%.2f\t%.2f\t%.1f\t%.0f\t%.0f\t%.0f\t%s\n",
                case, tool, rate, run, a, p50, p99, per, rss / 1024, n, cpu, ng / hz, other, wall,
                l50, l99, lmax, load1
        }' >>"$RESULTS"
    log "$(tail -n1 "$RESULTS" | awk -F'\t' '{printf "%-8s %-10s %6s/s run %s: achieved %s/s p50 %s ms p99 %s ms, send lag p99 %s us, %s CPU-s/100k, %s MiB; nginx %s CPU-s, other %s CPU-s, load %s", $1,$2,$3,$4,$5,$6,$7,$16,$8,$9,$12,$13,$18}')"
}

for run in $(seq "$REPEAT"); do
    for rate in $RATES; do
        for tool in $TOOLS; do
            has_tool "$tool" || continue
            run_one fast "$tool" "$rate" "$run"
            sleep 1
        done
    done
    if [ "$SLOW_RATE" != 0 ]; then
        for tool in $TOOLS; do
            has_tool "$tool" || continue
            run_one slow "$tool" "$SLOW_RATE" "$run"
            sleep 1
        done
    fi
    if [ "$HEADROOM_RATE" != 0 ]; then
        for tool in $HEADROOM_TOOLS; do
            has_tool "$tool" || continue
            run_one headroom "$tool" "$HEADROOM_RATE" "$run"
            sleep 1
        done
    fi
done

# ---------------------------------------------------------------- simulator
# 1 what  2 wall_s  3 cpu_s  4 rss_mib  5 requests  6 load1 (before)
SIM="$WORK/sim.tsv"
: >"$SIM"
sim_one() {
    local what="$1"
    shift
    local load1
    load1="$(awk '{print $1}' /proc/loadavg)"
    echo "simulator, $what: $(uptime)" >>"$LOADS"
    # simulate exits 1 when no candidate meets the SLO: still an answer.
    local rc=0
    /usr/bin/time -v -o "$WORK/sim-time.txt" "$@" >"$WORK/sim-stdout" 2>"$WORK/sim-stderr" || rc=$?
    [ "$rc" = 0 ] || { [ "$rc" = 1 ] && grep -q 'no candidate meets' "$WORK/sim-stdout"; } || {
        log "simulator run ($what) failed:"
        cat "$WORK/sim-stdout" >&2
        cat "$WORK/sim-stderr" >&2
        exit 1
    }
    local cpu rss wall
    read -r cpu rss wall < <(time_stats "$WORK/sim-time.txt")
    awk -v what="$what" -v wall="$wall" -v cpu="$cpu" -v rss="$rss" -v n="$SIM_REQUESTS" -v load1="$load1" \
        'BEGIN {printf "%s\t%.1f\t%.2f\t%.1f\t%s\t%s\n", what, wall, cpu, rss / 1024, n, load1}' >>"$SIM"
    log "simulator, $what: $(tail -n1 "$SIM" | awk -F'\t' '{printf "%s s wall, %s CPU-s, %s MiB, load %s", $2, $3, $4, $6}')"
}
SIM_CORES="$(nproc)"
if [ "$SIM_HOURS" != 0 ]; then
    sed "s/^duration = \"24h\"/duration = \"${SIM_HOURS}h\"/" "$ROOT/bench/sim-day.toml" >"$WORK/sim-day.toml"
    SIM_REQUESTS="$((SIM_HOURS * 3600 * 100))"
    sim_one "run: ${SIM_HOURS} h at 100 req/s" \
        "$SCALETRACE" run "$WORK/sim-day.toml" --run-dir "$WORK/sim-run" --quiet
    N_CAND="$(tr ',' '\n' <<<"$SIM_CANDIDATES" | wc -l)"
    SIM_REQUESTS="$((N_CAND * SIM_HOURS * 3600 * 100))"
    sim_one "simulate: $N_CAND candidates, all $SIM_CORES cores" \
        "$SCALETRACE" simulate "$WORK/sim-day.toml" --target-values "$SIM_CANDIDATES" \
        --run-dir "$WORK/sim-all" --quiet
    # available_parallelism follows the affinity mask: one core, one thread.
    sim_one "simulate: $N_CAND candidates, 1 core" \
        taskset -c "$LOAD_CORE" "$SCALETRACE" simulate "$WORK/sim-day.toml" \
        --target-values "$SIM_CANDIDATES" --run-dir "$WORK/sim-one" --quiet
    # Same results either way (the order and every figure).
    if ! cmp -s <(jq -S 'del(.candidates[].run)' "$WORK/sim-all/simulate.json") \
        <(jq -S 'del(.candidates[].run)' "$WORK/sim-one/simulate.json"); then
        log "simulate on all cores and on one core disagree"
        exit 1
    fi
fi

# ---------------------------------------------------------------- report
OHA_VERSION="$([ -n "$OHA" ] && "$OHA" --version | head -n1 || echo "oha: not run")"
WRK2_VERSION="$([ -n "$WRK2" ] && echo "wrk2 $(git -C "$WRK2_SRC" rev-parse --short HEAD 2>/dev/null || echo '(no git)')" || echo "wrk2: not run")"
NGINX_VERSION="$("$NGINX" -v 2>&1 | head -n1)"
ST_VERSION="$("$SCALETRACE" --version | head -n1)"
CPU_MODEL="$(awk -F': ' '/model name/{print $2; exit}' /proc/cpuinfo)"

# Median run (by CPU per request) for each case, tool and rate.
medians() {
    sort -t$'\t' -k1,1 -k3,3n -k2,2 -k8,8g "$RESULTS" | awk -F'\t' '
        { key = $1 FS $2 FS $3; rows[key, ++n[key]] = $0; if (!(key in seen)) { seen[key] = 1; order[++k] = key } }
        END { for (i = 1; i <= k; i++) { key = order[i]; print rows[key, int((n[key] + 1) / 2)] } }'
}

# The issue's goals, judged on the median runs and the simulator table.
goals() {
    awk -F'\t' -v slow="$SLOW_RATE" -v head="$HEADROOM_RATE" -v rates="$RATES" -v sim="$SIM" -v hours="$SIM_HOURS" '
        function yes(ok) { return ok ? "met" : "**not met**" }
        FILENAME == sim { s[++ns] = $0; next }
        { v[$1, $2, $3] = $0 }
        function f(c, t, r, i,   a) { if (!((c, t, r) in v)) return ""; split(v[c, t, r], a, "\t"); return a[i] }
        END {
            print "| goal | figure | result |"
            print "|---|---|---|"
            n = split(rates, rs, " ")
            for (i = 1; i <= n; i++) {
                r = rs[i]; l = f("fast", "scaletrace", r, 16)
                if (l != "" && l >= 0) printf "| send-lag p99 ≤ 100 µs at %d req/s | %d µs | %s |\n", r, l, yes(l <= 100)
            }
            for (i = 1; i <= n; i++) {
                r = rs[i]; p = f("fast", "scaletrace", r, 6); o = f("fast", "oha", r, 6); w = f("fast", "wrk2", r, 6)
                if (p == "" || (o == "" && w == "")) continue
                best = (o == "") ? w : (w == "" ? o : (o < w ? o : w))
                printf "| p50 within 0.2 ms of the better of oha and wrk2 at %d req/s | %.3f ms vs %.3f ms (%+.3f) | %s |\n", r, p, best, p - best, yes(p - best <= 0.2)
            }
            c = f("fast", "scaletrace", 20000, 8); w = f("fast", "wrk2", 20000, 8)
            if (c != "" && w != "") printf "| CPU per request at 20,000 req/s ≤ wrk2 | %.2f vs %.2f CPU-s/100k (%.2f×) | %s |\n", c, w, c / w, yes(c <= w)
            c = f("slow", "scaletrace", slow, 8); w = f("slow", "wrk2", slow, 8)
            if (c != "" && w != "") printf "| CPU per request at %d req/s (20 ms) ≤ 2× wrk2 | %.2f vs %.2f CPU-s/100k (%.2f×) | %s |\n", slow, c, w, c / w, yes(c <= 2 * w)
            m = f("fast", "scaletrace", 20000, 9)
            if (m != "") printf "| peak RSS at 20,000 req/s ≤ 16 MiB | %.1f MiB | %s |\n", m, yes(m <= 16)
            a = f("headroom", "scaletrace", head, 5)
            if (a != "") {
                ng = f("headroom", "scaletrace", head, 12); wall = f("headroom", "scaletrace", head, 14)
                busy = wall > 0 ? 100 * ng / wall : 0
                held = a >= 0.999 * head
                printf "| hold %d req/s at ≥ 99.9 %% (or nginx saturated) | %.1f req/s (%.2f %%); nginx %.2f CPU-s in %.1f s = %.0f %% of its core | %s |\n", head, a, 100 * a / head, ng, wall, busy, held ? "met" : (busy >= 95 ? "nginx is the limit" : "**not met**")
            }
            if (ns >= 1) {
                split(s[1], r1, "\t")
                per24 = hours > 0 ? r1[2] * 24 / hours : 0
                printf "| 24 simulated hours at 100 req/s ≤ 20 s | %.1f s for %d h (%.1f s per 24 h) | %s |\n", r1[2], hours, per24, yes(per24 <= 20)
            }
            if (ns >= 3) {
                split(s[2], a2, "\t"); split(s[3], a3, "\t")
                printf "| simulate runs its candidates on all cores | %.1f s on all cores vs %.1f s on one: %.2f× | %s |\n", a2[2], a3[2], a3[2] / a2[2], yes(a3[2] / a2[2] > 1.3)
            }
        }' "$SIM" <(medians)
}

report() {
    echo "## scaletrace vs oha vs wrk2 against nginx on 127.0.0.1"
    echo
    echo "- date: $(date -u +%Y-%m-%dT%H:%MZ); host: $(nproc) cores ($CPU_MODEL), $(awk '/MemTotal/{printf "%.0f GiB", $2/1048576}' /proc/meminfo)"
    echo "- $ST_VERSION; $OHA_VERSION; $WRK2_VERSION; $NGINX_VERSION"
    [ -n "$WRK2_NOTE" ] && echo "- $WRK2_NOTE"
    [ -z "$OHA" ] && echo "- oha skipped: not installed"
    echo "- ${DURATION} s of load per run; load generator pinned to core $LOAD_CORE, nginx (1 worker) to core $SERVER_CORE"
    echo "- cases: \`fast\` = \`/invocations\` answered at once; \`slow\` = \`/slow\`, answered after 20 ms (echo_sleep);"
    echo "  \`headroom\` = the fast endpoint at $HEADROOM_RATE req/s"
    echo "- oha: \`-q RATE -z ${DURATION}s -c $OHA_CONNECTIONS --latency-correction -m POST -T application/json -d '{}'\`"
    echo "- wrk2: \`-t1 -c $OHA_CONNECTIONS -d $((DURATION + WRK2_CALIBRATION))s -R RATE --latency\` with a POST script (same body and"
    echo "  content type); it drops its first ~10.5 s (calibration) from its latency, so it runs that much longer;"
    echo "  its CPU per request counts every response of the run"
    echo "- scaletrace: \`run --url URL --rate RATE --duration ${DURATION}s --quiet\` (same body and content type)"
    echo "- achieved = 2xx responses / duration; latency from the intended send time (all three tools);"
    echo "  send lag = actual − intended send time (scaletrace's \`send_lag_ms\`; the others do not report one);"
    echo "  CPU = user + sys of the load generator (\`/usr/bin/time -v\`), per 100k responses; RSS = its peak;"
    echo "  load = the 1-minute load average just before the run (2 cores: above ~1 the run shared its core)"
    [ "$REPEAT" -gt 1 ] && echo "- $REPEAT runs each; the table shows the median run by CPU per request"
    echo
    local m
    m="$(medians)"
    echo "| case | tool | target req/s | achieved req/s | % of target | p50 ms | p99 ms | send lag p50 µs | p99 µs | max µs | CPU-s / 100k req | peak RSS MiB | nginx core % | load before |"
    echo "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
    awk -F'\t' '
        function lag(v) { return v < 0 ? "n/a" : sprintf("%d", v) }
        {printf "| %s | %s | %d | %.1f | %.2f %% | %.3f | %.3f | %s | %s | %s | %.2f | %.1f | %.0f | %s |\n", $1, $2, $3, $5, 100*$5/$3, $6, $7, lag($15), lag($16), lag($17), $8, $9, ($14 > 0 ? 100*$12/$14 : 0), $18}' <<<"$m"
    echo
    echo "Goals of issue #14 on these figures:"
    echo
    goals
    if [ -s "$SIM" ]; then
        echo
        echo "Simulator speed (\`bench/sim-day.toml\`: the demo endpoint at 100 req/s for ${SIM_HOURS} simulated h;"
        echo "\`simulate\` sweeps \`--target-values $SIM_CANDIDATES\`, once on all cores and once pinned to one;"
        echo "both give the same simulate.json):"
        echo
        echo "| what | simulated requests | wall s | CPU s | peak RSS MiB | load before |"
        echo "|---|---:|---:|---:|---:|---:|"
        awk -F'\t' '{printf "| %s | %s | %s | %s | %s | %s |\n", $1, $5, $2, $3, $4, $6}' "$SIM"
    fi
    echo
    echo "Every run (nginx CPU = the server's CPU seconds during the run; other = CPU seconds used on the"
    echo "machine by anything else, a sign of disturbance from other work):"
    echo
    echo "| case | tool | target req/s | run | achieved req/s | p50 ms | p99 ms | send lag p99 µs | CPU-s / 100k | RSS MiB | responses | CPU s | wall s | nginx CPU s | other CPU s | load before |"
    echo "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
    awk -F'\t' '{printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", $1,$2,$3,$4,$5,$6,$7,($16 < 0 ? "n/a" : $16),$8,$9,$10,$11,$14,$12,$13,$18}' "$RESULTS"
    echo
    echo "The machine's load before each run (\`uptime\`):"
    echo
    echo '```'
    cat "$LOADS"
    echo '```'
}

mkdir -p "$(dirname "$OUT")"
report | tee "$OUT"
log "written to $OUT"
