#!/usr/bin/env bash
# scaletrace and oha, side by side, against nginx on 127.0.0.1.
#
#   bench/compare.sh [RESULTS.md]        (default: bench/results.md)
#   bench/compare.sh --serve             only start the nginx endpoint, print
#                                        its URL and wait (Ctrl-C stops it)
#
# Environment (all optional):
#   RATES="2000 20000"   target rates, requests per second
#   DURATION=10          seconds of load per run
#   REPEAT=1             runs per (tool, rate); the table shows the median
#                        run by CPU per request, every run is listed below it
#   LOAD_CORE=0          core the load generator is pinned to
#   SERVER_CORE=1        core nginx is pinned to
#   OHA_CONNECTIONS=100  oha -c (see bench/README.md for why)
#   SKIP_BUILD=1         use the existing target/release/scaletrace
#
# Needs root for the installs (nginx, time, jq from Debian; oha with cargo);
# everything already installed is used as is. See bench/README.md.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SERVE_ONLY=0
if [ "${1:-}" = --serve ]; then
    SERVE_ONLY=1
    shift
fi
OUT="${1:-$ROOT/bench/results.md}"
RATES="${RATES:-2000 20000}"
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
if [ ! -x /usr/bin/time ]; then
    log "installing time"
    apt_install time
fi
command -v jq >/dev/null || { log "installing jq"; apt_install jq; }
command -v taskset >/dev/null || { log "installing util-linux"; apt_install util-linux; }
export PATH="$HOME/.cargo/bin:$PATH"
if [ "$SERVE_ONLY" = 0 ] && ! command -v oha >/dev/null; then
    log "installing oha (cargo install oha --locked; takes a few minutes)"
    cargo install oha --locked
fi
OHA="$(command -v oha || true)"

if [ "$SERVE_ONLY" = 1 ]; then
    : # neither oha nor scaletrace needed
elif [ "${SKIP_BUILD:-0}" != 1 ]; then
    log "building scaletrace (cargo build --release)"
    (cd "$ROOT" && cargo build --release --quiet)
fi
SCALETRACE="${CARGO_TARGET_DIR:-$ROOT/target}/release/scaletrace"
[ "$SERVE_ONLY" = 1 ] || [ -x "$SCALETRACE" ] || { log "no $SCALETRACE"; exit 1; }

# oha's flag spellings changed across versions.
[ "$SERVE_ONLY" = 1 ] || {
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

RESULTS="$WORK/results.tsv" # tool rate run achieved p50 p99 cpu_per_100k rss_mib completed cpu_s nginx_cpu_s other_cpu_s wall_s
: >"$RESULTS"

run_one() {
    local tool="$1" rate="$2" run="$3"
    local dir="$WORK/$tool-$rate-$run"
    mkdir -p "$dir"
    local cmd
    if [ "$tool" = scaletrace ]; then
        cmd=("$SCALETRACE" run --url "$URL" --rate "$rate" --duration "${DURATION}s"
            --run-dir "$dir/run" --quiet)
    else
        cmd=("$OHA" -q "$rate" -z "${DURATION}s" -c "$OHA_CONNECTIONS" --latency-correction
            --no-tui -m POST -T application/json -d '{}' "${OHA_JSON[@]}" "$URL/invocations")
    fi
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
    local achieved p50 p99 completed
    if [ "$tool" = scaletrace ]; then
        local s="$dir/run/summary.json"
        achieved="$(jq '.rate.achieved_per_s' "$s")"
        p50="$(jq '.latency_ms.p50' "$s")"
        p99="$(jq '.latency_ms.p99' "$s")"
        completed="$(jq '.requests.completed' "$s")"
    else
        local j="$dir/stdout"
        # 2xx responses over the nominal duration, as scaletrace counts it.
        achieved="$(jq --argjson d "$DURATION" \
            '[.statusCodeDistribution | to_entries[] | select(.key|startswith("2")) | .value] | add // 0 | . / $d' "$j")"
        p50="$(jq '.latencyPercentiles.p50 * 1000' "$j")"
        p99="$(jq '.latencyPercentiles.p99 * 1000' "$j")"
        completed="$(jq '[.statusCodeDistribution[]] | add // 0' "$j")"
    fi
    awk -v tool="$tool" -v rate="$rate" -v run="$run" -v a="$achieved" -v p50="$p50" \
        -v p99="$p99" -v cpu="$cpu" -v rss="$rss" -v n="$completed" -v hz="$HZ" \
        -v busy="$((busy1 - busy0))" -v ng="$((ng1 - ng0))" -v wall="$wall" 'BEGIN {
            per = n > 0 ? cpu * 100000 / n : 0
            other = (busy - ng) / hz - cpu; if (other < 0) other = 0
            printf "%s\t%s\t%s\t%.1f\t%.3f\t%.3f\t%.2f\t%.1f\t%d\t%.2f\t%.2f\t%.2f\t%.1f\n",
                tool, rate, run, a, p50, p99, per, rss / 1024, n, cpu, ng / hz, other, wall
        }' >>"$RESULTS"
    log "$(tail -n1 "$RESULTS" | awk -F'\t' '{printf "%-10s %6s/s run %s: achieved %s/s p50 %s ms p99 %s ms, %s CPU-s/100k, %s MiB; nginx %s CPU-s, other processes %s CPU-s", $1,$2,$3,$4,$5,$6,$7,$8,$11,$12}')"
}

for rate in $RATES; do
    for run in $(seq "$REPEAT"); do
        for tool in scaletrace oha; do
            run_one "$tool" "$rate" "$run"
            sleep 1
        done
    done
done

# ---------------------------------------------------------------- report
OHA_VERSION="$("$OHA" --version | head -n1)"
NGINX_VERSION="$("$NGINX" -v 2>&1 | head -n1)"
ST_VERSION="$("$SCALETRACE" --version | head -n1)"
CPU_MODEL="$(awk -F': ' '/model name/{print $2; exit}' /proc/cpuinfo)"

# Median run (by CPU per request) for each tool and rate.
medians() {
    sort -t$'\t' -k1,1 -k2,2n -k7,7g "$RESULTS" | awk -F'\t' '
        { key = $1 FS $2; rows[key, ++n[key]] = $0; if (!(key in seen)) { seen[key] = 1; order[++k] = key } }
        END { for (i = 1; i <= k; i++) { key = order[i]; print rows[key, int((n[key] + 1) / 2)] } }'
}

report() {
    echo "## scaletrace vs oha against nginx on 127.0.0.1"
    echo
    echo "- date: $(date -u +%Y-%m-%dT%H:%MZ); host: $(nproc) cores ($CPU_MODEL), $(awk '/MemTotal/{printf "%.0f GiB", $2/1048576}' /proc/meminfo)"
    echo "- $ST_VERSION; $OHA_VERSION; $NGINX_VERSION"
    echo "- ${DURATION} s per run; load generator pinned to core $LOAD_CORE, nginx (1 worker) to core $SERVER_CORE"
    echo "- oha: \`-q RATE -z ${DURATION}s -c $OHA_CONNECTIONS --latency-correction -m POST -T application/json -d '{}'\`"
    echo "- scaletrace: \`run --url URL --rate RATE --duration ${DURATION}s --quiet\` (same body and content type)"
    echo "- achieved = 2xx responses / ${DURATION} s; latency from the intended send time (both tools);"
    echo "  CPU = user + sys of the load generator (\`/usr/bin/time -v\`), per 100k responses; RSS = its peak"
    [ "$REPEAT" -gt 1 ] && echo "- $REPEAT runs each; the table shows the median run by CPU per request"
    echo
    echo "| tool | target req/s | achieved req/s | % of target | p50 ms | p99 ms | CPU-s / 100k req | peak RSS MiB |"
    echo "|---|---:|---:|---:|---:|---:|---:|---:|"
    local m
    m="$(medians)"
    awk -F'\t' '{printf "| %s | %d | %.1f | %.2f %% | %.3f | %.3f | %.2f | %.1f |\n", $1, $2, $4, 100*$4/$2, $5, $6, $7, $8}' <<<"$m"
    echo
    echo "Ratios scaletrace / oha (below 1 is better for latency, CPU and RSS; achieved should be 1):"
    echo
    echo "| target req/s | achieved | p50 | p99 | CPU per request | peak RSS |"
    echo "|---:|---:|---:|---:|---:|---:|"
    awk -F'\t' -v rates="$RATES" '
        { v[$1, $2] = $0 }
        function r(a, b) { return b > 0 ? sprintf("%.2f", a / b) : "n/a" }
        END {
            n = split(rates, sorted, " ")
            for (i = 1; i <= n; i++) {
                rate = sorted[i]
                if (!((("scaletrace", rate) in v) && (("oha", rate) in v))) continue
                split(v["scaletrace", rate], s, "\t"); split(v["oha", rate], o, "\t")
                printf "| %d | %s | %s | %s | %s | %s |\n", rate, r(s[4], o[4]), r(s[5], o[5]), r(s[6], o[6]), r(s[7], o[7]), r(s[8], o[8])
            }
        }' <<<"$m"
    echo
    echo "Every run (nginx CPU = the server's CPU seconds during the run; other = CPU seconds used on the"
    echo "machine by anything else, a sign of disturbance from other work):"
    echo
    echo "| tool | target req/s | run | achieved req/s | p50 ms | p99 ms | CPU-s / 100k | RSS MiB | responses | CPU s | wall s | nginx CPU s | other CPU s |"
    echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
    awk -F'\t' '{printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", $1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$13,$11,$12}' "$RESULTS"
}

mkdir -p "$(dirname "$OUT")"
report | tee "$OUT"
log "written to $OUT"
