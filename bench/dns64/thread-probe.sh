#!/usr/bin/env bash
# Where ferry dns64's CPU goes during the one-thread latency runs of bench/dns64/run.sh. Not run in CI.
#
# The same set-up as run.sh's first round (the tests' upstream on 127.0.0.1, `ferry dns64 --threads 1` pinned to CPU 0
# with the launcher's JVM options, dnsperf on CPU 1) and the same warm-up (WARMUP s of all mixes at full load,
# EXPIRE_IDLE s idle, 5 s at RATE qps), then RUNS runs of P99_SECONDS s of MIX at RATE qps. Around each run it reads
# ferry's counters (its Prometheus endpoint) and every thread's scheduling statistics (/proc/PID/task/TID/schedstat:
# ns on a CPU, ns waiting on the run queue, timeslices; involuntary switches from status; the name from comm), and
# prints per run: the p99, the answers over SLOW (0.25) ms and how many came in bursts of BURST (5) or more in a row,
# the counters that moved (prefetches, misses, ...) and, per thread name, the CPU used and the time spent waiting to
# run, in ms. unbound: the same set-up with its dns64 module (no counters). A way to see what shares CPU 0 with the
# receive thread.
#
# Usage: bench/dns64/thread-probe.sh [ferry|unbound]   env: MIX=synth RUNS=3 P99_SECONDS=10 RATE=10000 WARMUP=40 EXPIRE_IDLE=32,
#        MISS_RATE=0 (qps of distinct names, each a miss, sent beside the measured mix by a second dnsperf; the p99 is the
#        measured mix's), RENICE (the carrier threads of ferry's virtual threads and its dns64-worker threads set to
#        this nice before each run), IDLE=1 (the same threads set to SCHED_IDLE before each run, chrt --idle),
#        FERRY_CLASSES (another build's target/classes), FERRY_ARGS (more ferry dns64 options), AUTH_PORT/PORT/METRICS_PORT
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$here"
WHICH=${1:-ferry}
case "$WHICH" in ferry|unbound) ;; *) echo "usage: $0 [ferry|unbound]" >&2; exit 2 ;; esac
MIX=${MIX:-synth}
RUNS=${RUNS:-3}
P99_SECONDS=${P99_SECONDS:-10}
RATE=${RATE:-10000}
WARMUP=${WARMUP:-40}
EXPIRE_IDLE=${EXPIRE_IDLE:-32}
AUTH_PORT=${AUTH_PORT:-45353}
PORT=${PORT:-45354}
METRICS_PORT=${METRICS_PORT:-45356}
for c in dnsperf taskset dig curl; do
  command -v "$c" >/dev/null || { echo "bench: $c is missing" >&2; exit 1; }
done
. scripts/jdk.sh
. bench/dns64/common.sh
bench_start thread-probe
bench_build
read -r -a JOPTS <<<"${FERRY_JAVA_OPTS-$(sed -n 's/^FERRY_DNS64_JAVA_OPTS="\(.*\)"$/\1/p' ferry)}"
read -r -a EXTRA <<<"${FERRY_ARGS:-}"

"$JAVA_HOME/bin/java" -cp "$CP" ferry.dns64.TestAuthority "$AUTH_PORT" >"$tmp/auth.log" 2>&1 & pids+=($!)
for _ in $(seq 1 50); do grep -q "test authority on" "$tmp/auth.log" && break; sleep 0.2; done
if [ "$WHICH" = ferry ]; then
  taskset -c 0 env MALLOC_ARENA_MAX=2 "$JAVA_HOME/bin/java" "${JOPTS[@]}" --enable-native-access=ALL-UNNAMED -cp "$FCP" \
    ferry.app.Main dns64 --listen "127.0.0.1:$PORT" --upstream "127.0.0.1:$AUTH_PORT" --prefix 64:ff9b::/96 --threads 1 \
    --metrics "127.0.0.1:$METRICS_PORT" "${EXTRA[@]}" >"$tmp/server.log" 2>&1 &
else
  unbound_conf "$tmp" "$PORT" "$AUTH_PORT" 1 >"$tmp/u.conf"
  taskset -c 0 unbound -d -c "$tmp/u.conf" >"$tmp/server.log" 2>&1 &
fi
FP=$!; pids+=($FP)
for _ in $(seq 1 100); do dig @127.0.0.1 -p "$PORT" +tries=1 +time=1 +short ipv4only.arpa A >/dev/null 2>&1 && break; sleep 0.2; done
write_mixes "$tmp"
taskset -c 1 dnsperf -s 127.0.0.1 -p "$PORT" -d "$tmp/all.txt" -l "$WARMUP" -c 10 -q 100 >/dev/null 2>&1 || true
sleep "$EXPIRE_IDLE"
taskset -c 1 dnsperf -s 127.0.0.1 -p "$PORT" -d "$tmp/all.txt" -l 5 -Q "$RATE" -c 10 >/dev/null 2>&1 || true

threads() { # "tid name ns-on-cpu ns-waiting-to-run timeslices involuntary-switches" per thread of the server
  local t
  for t in /proc/"$FP"/task/*; do
    printf '%s %s %s %s\n' "${t##*/}" "$(tr ' ' '_' <"$t/comm" 2>/dev/null)" "$(cat "$t/schedstat" 2>/dev/null || echo 0 0 0)" \
      "$(awk '/^nonvoluntary_ctxt_switches/ {print $2}' "$t/status" 2>/dev/null || echo 0)"
  done 2>/dev/null # threads that end meanwhile
}
counters() { [ "$WHICH" = ferry ] && curl -s "http://127.0.0.1:$METRICS_PORT/metrics" | awk '/^ferry_dns64_/ && !/^#/ && !/bucket/ {print $1, $2}
  /^ferry_dns64_response_seconds_bucket\{le="(1.0E-4|2.5E-4|0.001)"\}/ {print $1, $2}'; return 0; }

echo "thread probe: $WHICH (ferry: dns64 --threads 1 ${EXTRA[*]}) on CPU 0, $MIX at $RATE qps, ${P99_SECONDS}s x $RUNS; load $(cut -d' ' -f1-3 /proc/loadavg)"
if [ "${MISS_RATE:-0}" -gt 0 ]; then # misses beside the measured hits: distinct names, each an upstream A query
  for r in $(seq 1 "$RUNS"); do # new names each run: a name asked in an earlier run would be a hit
    awk -v r="$r" -v n=$((MISS_RATE * P99_SECONDS + MISS_RATE)) 'BEGIN { for (i = 0; i < n; i++) printf "m%d-%d.wild.dns64.example AAAA\n", r, i }' >"$tmp/miss-$r.txt"
  done
fi
renice_carriers() { # RENICE=N: the virtual threads' carriers (misses, refreshes) at nice N; IDLE=1: SCHED_IDLE; from outside
  [ -n "${RENICE:-}${IDLE:-}" ] || return 0
  local t
  for t in /proc/"$FP"/task/*; do
    case "$(cat "$t/comm" 2>/dev/null)" in
      ForkJoinPool*|dns64-worker*)
        [ -n "${RENICE:-}" ] && renice -n "$RENICE" -p "${t##*/}" >/dev/null
        [ -n "${IDLE:-}" ] && chrt --idle -p 0 "${t##*/}" >/dev/null ;;
    esac
  done 2>/dev/null
}
for r in $(seq 1 "$RUNS"); do
  renice_carriers
  if [ "${MISS_RATE:-0}" -gt 0 ]; then
    taskset -c 1 dnsperf -s 127.0.0.1 -p "$PORT" -d "$tmp/miss-$r.txt" -l "$P99_SECONDS" -Q "$MISS_RATE" -c 10 -q 500 >"$tmp/miss-perf.txt" 2>&1 & MP=$!; pids+=($MP)
  fi
  threads >"$tmp/t0"; counters >"$tmp/c0"
  taskset -c 1 dnsperf -s 127.0.0.1 -p "$PORT" -d "$tmp/$MIX.txt" -l "$P99_SECONDS" -Q "$RATE" -c 10 -v >"$tmp/raw.txt" 2>/dev/null || true
  threads >"$tmp/t1"; counters >"$tmp/c1"
  if [ "${MISS_RATE:-0}" -gt 0 ]; then wait "$MP" || true; grep -E "Queries (completed|lost)" "$tmp/miss-perf.txt" | sed 's/^ */    misses: /'; fi
  awk '/^> / {print $NF}' "$tmp/raw.txt" | sort -g | awk '{a[NR]=$1} END {i=int(NR*0.99); printf "run %s: p99 %.3f ms p99.9 %.3f ms max %.3f ms, %d answers\n", r, a[i]*1000, a[int(NR*0.999)]*1000, a[NR]*1000, NR}' r="$r"
  # the slow answers (over SLOW ms) in dnsperf's order of completion: alone (spread: each answer's own wait) or in
  # bursts of BURST or more in a row (a stall that held up every query arriving meanwhile)
  awk -v slow="${SLOW:-0.25}" -v burst="${BURST:-5}" '/^> / {n++; if ($NF * 1000 > slow) {s++; run++} else {if (run >= burst) {b++; inb += run}; run = 0}}
    END {if (run >= burst) {b++; inb += run}; printf "    answers over %s ms: %d of %d, %d of them in %d bursts of >= %d in a row\n", slow, s, n, inb, b, burst}' "$tmp/raw.txt"
  join <(sort "$tmp/c0") <(sort "$tmp/c1") | awk '$3 != $2 {printf "    counter %s +%d\n", $1, $3 - $2}'
  join -a 2 -e 0 -o 2.1,2.2,1.3,1.4,1.5,1.6,2.3,2.4,2.5,2.6 <(sort "$tmp/t0") <(sort "$tmp/t1") \
    | awk '{d = $7 - $3; if (d > 0) {cpu[$2] += d; w[$2] += $8 - $4; sl[$2] += $9 - $5; inv[$2] += $10 - $6; n[$2]++; all += d}}
      END {for (k in cpu) printf "    cpu %-16s %8.1f ms, waited to run %7.1f ms, %6d timeslices, %5d preempted (%d threads)\n", k, cpu[k] / 1e6, w[k] / 1e6, sl[k], inv[k], n[k]
           printf "    server total %.1f ms\n", all / 1e6}' | sort -k3 -gr
done
echo "load at the end $(cut -d' ' -f1-3 /proc/loadavg)"
