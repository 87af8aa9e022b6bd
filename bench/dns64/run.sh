#!/usr/bin/env bash
# ferry dns64 against unbound's dns64 module, with dnsperf, on loopback only. Not run in CI.
#
# One upstream for both: the tests' in-process authoritative server (ferry.dns64.TestAuthority, test scope),
# answering like a recursive resolver on 127.0.0.1. ferry dns64 and unbound (module-config "dns64 iterator",
# forwarding everything to that upstream) then serve the same cached query mixes, each measured on its own:
# "synth" (AAAA synthesized from A, CNAME chains included), "real" (real AAAA records), "a" (plain A). Two rounds:
# one server thread (server pinned to CPU 0, dnsperf to CPU 1), then all cores (no pinning). Each mix of each round
# measures throughput (dnsperf at full load) and p99 latency (a second dnsperf run at a fixed rate, -v, per-query
# latencies sorted; dnsperf 2.10 prints no percentiles), alternating ferry and unbound REPS times, and prints the
# medians, ferry's as a ratio to unbound's from the same run, and the p99 of all the REPS latency runs' answers
# together (pool_*99; each run's p50/p90/p99/p99.9/max go to stderr: a run's p99 moves 2-3x run to run for both
# servers on this machine, so the pooled figure is the steadier one).
# Warm-up, the same for both servers before anything is measured: WARMUP seconds (default 40) of all the mixes at
# full load, both servers at once (fills the caches; gives the JIT its work), then 5 s at RATE qps each, discarded
# (the latency runs' own code path: blocking receives, one query at a time). 40 s covers one whole lifetime of the
# mixes' shortest answers (TTL 30 s), so each server has refreshed (prefetch) or refetched (expiry) them once before
# anything is measured, as a server that has run for a while has: in a fresh JVM the first expiry or prefetch takes
# branches the JIT had never seen taken and deoptimizes the hit path once (README, "The refetch tail and prefetch").
# After the full-load warm-up both servers sit idle EXPIRE_IDLE seconds (default 32) together, so the TTL-30 answers
# expire, before the 5 s at RATE: the measured runs then meet no code path the servers have not run before.
# Both servers prefetch (ferry by default, 2:9; unbound with "prefetch: yes"), as an operator would run them.
# ferry runs with the launcher's JVM options for dns64 (FERRY_JAVA_OPTS if set, else FERRY_DNS64_JAVA_OPTS in ./ferry,
# with its -Xmx rule for large caches, and MALLOC_ARENA_MAX=2)
# and --cache-size CACHE (default 16m, the default of ferry dns64; unbound gets msg-cache-size 16m + rrset 32m).
#
# Usage: bench/dns64/run.sh [MIX...]   (mixes: synth real a all; default: synth real a)
#        env: DURATION=10 seconds per qps run, RATE=10000 qps for the latency runs, P99_SECONDS=5 per latency run,
#             QPS_RUNS=0 to skip the full-load runs (latency only), REPS=3, WARMUP=40 seconds at
#             full load before measuring, EXPIRE_IDLE=32 seconds idle after it, FERRY_JAVA_OPTS, CACHE=16m, FERRY_PREFETCH (ferry's --prefetch, e.g. off;
#             unset: ferry's default, 2:9; builds before prefetch have no such option), FERRY_WARM_UP (ferry's
#             --warm-up, e.g. 0; unset: ferry's default, 20000 names; builds before it have no such option), FERRY_CLASSES (another ferry build's
#             target/classes, e.g. to measure the code before a change in the same conditions; CACHE=10000 for builds
#             whose --cache-size counted answers)
#        bench/dns64/run.sh distinct   resident memory while DISTINCT (default 100000) distinct names pass through
#             each server (AAAA under wild.dns64.example: every one a miss, an upstream A query and a synthesis),
#             at DRATE (default 5000) qps, twice over (2 x DISTINCT names); RSS sampled every second, for each
#             CACHE_SIZES (default "4m 16m 64m") of ferry; unbound with its cache sizes above.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$here"
DURATION=${DURATION:-10}
RATE=${RATE:-10000}
P99_SECONDS=${P99_SECONDS:-5}
QPS_RUNS=${QPS_RUNS:-1}
REPS=${REPS:-3}
WARMUP=${WARMUP:-40}
EXPIRE_IDLE=${EXPIRE_IDLE:-32}
AUTH_PORT=${AUTH_PORT:-25353}
FERRY_PORT=${FERRY_PORT:-25354}
export FERRY_PORT
UNBOUND_PORT=${UNBOUND_PORT:-25355}
CORES=$(nproc)
CACHE=${CACHE:-16m}
DISTINCT=${DISTINCT:-100000}
DRATE=${DRATE:-5000}
CACHE_SIZES=${CACHE_SIZES:-4m 16m 64m}
MIXES=("$@")
[ ${#MIXES[@]} -eq 0 ] && MIXES=(synth real a)

need=()
command -v dnsperf >/dev/null || need+=(dnsperf)
command -v unbound >/dev/null || need+=(unbound)
command -v taskset >/dev/null || need+=(util-linux)
if [ ${#need[@]} -gt 0 ]; then
  echo "bench: ${need[*]} missing; installing from Debian with apt-get (needs root)" >&2
  export DEBIAN_FRONTEND=noninteractive
  { apt-get update -q && apt-get install -y -q --no-install-recommends "${need[@]}"; } >&2 \
    || { echo "bench: could not install ${need[*]}; install them and run again" >&2; exit 1; }
fi

. scripts/jdk.sh
. bench/dns64/common.sh
bench_start bench-dns64

for port in "$AUTH_PORT" "$FERRY_PORT" "$UNBOUND_PORT"; do
  if ss -Hlnu "sport = :$port" 2>/dev/null | grep -q .; then
    echo "bench: UDP port $port on this machine is taken; set AUTH_PORT/FERRY_PORT/UNBOUND_PORT" >&2; exit 1
  fi
done

echo "bench: building ferry and its test classes ..." >&2
bench_build
JAVA="$JAVA_HOME/bin/java"
# the launcher's JVM options for dns64 (./ferry: FERRY_DNS64_JAVA_OPTS), unless FERRY_JAVA_OPTS is set
read -r -a JOPTS <<<"${FERRY_JAVA_OPTS-$(sed -n 's/^FERRY_DNS64_JAVA_OPTS="\(.*\)"$/\1/p' ferry)}"

wait_port() { # wait until something answers DNS on 127.0.0.1:$1
  for _ in $(seq 1 100); do
    if dig @127.0.0.1 -p "$1" +tries=1 +time=1 +short ipv4only.arpa A >/dev/null 2>&1; then return 0; fi
    sleep 0.2
  done
  echo "bench: nothing answers on 127.0.0.1:$1" >&2; return 1
}

"$JAVA" -cp "$CP" ferry.dns64.TestAuthority "$AUTH_PORT" >"$tmp/auth.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 50); do grep -q "test authority on" "$tmp/auth.log" && break; sleep 0.2; done
grep -q "test authority on" "$tmp/auth.log" || { echo "bench: the test upstream did not start:" >&2; cat "$tmp/auth.log" >&2; exit 1; }

# the query mixes (bench/dns64/common.sh): synthesized AAAA, real AAAA, plain A; "all" is the three together
write_mixes "$tmp"
for m in "${MIXES[@]}"; do
  [ "$m" = distinct ] || [ -f "$tmp/$m.txt" ] || { echo "bench: unknown mix '$m' (synth, real, a, all, distinct)" >&2; exit 2; }
done

start_ferry() { # $1 threads, $2 cpu list or "", $3 cache size (default $CACHE)
  local pin=()
  [ -n "$2" ] && pin=(taskset -c "$2")
  # ferry's JVM threads (GC, JIT) share the pinned core like everything else; in round 1 the JVM sees one CPU
  "${pin[@]}" env MALLOC_ARENA_MAX="${MALLOC_ARENA_MAX:-2}" "$JAVA" "${JOPTS[@]}" -cp "$FCP" ferry.app.Main dns64 --listen "127.0.0.1:$FERRY_PORT" \
    --upstream "127.0.0.1:$AUTH_PORT" --prefix 64:ff9b::/96 --threads "$1" --cache-size "${3:-$CACHE}" \
    ${FERRY_PREFETCH:+--prefetch "$FERRY_PREFETCH"} ${FERRY_WARM_UP:+--warm-up "$FERRY_WARM_UP"} >"$tmp/ferry.log" 2>&1 &
  FERRY_PID=$!
  pids+=($FERRY_PID)
  wait_port "$FERRY_PORT"
  kill -0 "$FERRY_PID" 2>/dev/null || { echo "bench: ferry dns64 exited:" >&2; cat "$tmp/ferry.log" >&2; exit 1; }
}

start_unbound() { # $1 threads, $2 cpu list or ""
  unbound_conf "$tmp" "$UNBOUND_PORT" "$AUTH_PORT" "$1" >"$tmp/unbound.conf"
  local pin=()
  [ -n "$2" ] && pin=(taskset -c "$2")
  "${pin[@]}" unbound -d -c "$tmp/unbound.conf" >"$tmp/unbound.log" 2>&1 &
  UNBOUND_PID=$!
  pids+=($UNBOUND_PID)
  wait_port "$UNBOUND_PORT"
  kill -0 "$UNBOUND_PID" 2>/dev/null || { echo "bench: unbound exited:" >&2; cat "$tmp/unbound.log" >&2; exit 1; }
}

stop() { kill "$1" 2>/dev/null || true; wait "$1" 2>/dev/null || true; }

qps() { # $1 port, $2 dnsperf threads, $3 cpu list or "", $4 query file
  local pin=()
  [ -n "$3" ] && pin=(taskset -c "$3")
  "${pin[@]}" dnsperf -s 127.0.0.1 -p "$1" -d "$4" -l "$DURATION" -T "$2" -c $((10 * $2)) -q $((100 * $2)) \
    >"$tmp/perf.txt" 2>&1
  awk '/Queries per second:/ {print $4}' "$tmp/perf.txt"
  grep -E "Queries lost|Response codes" "$tmp/perf.txt" | sed 's/^ */    /' >&2
}

p99() { # $1 port, $2 cpu list or "", $3 query file: latency at a fixed rate, 99th percentile in ms
  local pin=()
  [ -n "$2" ] && pin=(taskset -c "$2")
  # dnsperf writes its per-query lines to a file; they are read after the run, so no awk or sort shares a CPU with
  # the server while it is measured (in round 1 a pipe's readers would run on any CPU, the server's included)
  "${pin[@]}" dnsperf -s 127.0.0.1 -p "$1" -d "$3" -l "$P99_SECONDS" -Q "$RATE" -c 10 -v >"$tmp/raw.txt" 2>/dev/null || true
  awk '/^> / {print $NF}' "$tmp/raw.txt" | sort -g >"$tmp/lat.txt"
  cat "$tmp/lat.txt" >>"$tmp/pool-$1"
  awk '{a[NR]=$1} END {if (NR == 0) {print "nan"; exit} i=int(NR*0.99); if (i < 1) i=1; printf "%.3f\n", a[i]*1000}' "$tmp/lat.txt"
  awk -v port="$1" 'function q(p) {i=int(NR*p); if (i < 1) i=1; return a[i]*1000}
    {a[NR]=$1} END {if (NR > 0) printf "      %s p50 %.3f p90 %.3f p99 %.3f p99.9 %.3f max %.3f ms, %d answers\n", (port == ENVIRON["FERRY_PORT"] ? "ferry  " : "unbound"), q(0.5), q(0.9), q(0.99), q(0.999), a[NR]*1000, NR}' "$tmp/lat.txt" >&2
}

warm() { # $1 dnsperf threads, $2 cpu list or "": both servers at once, the same load, nothing recorded
  local pin=()
  [ -n "$2" ] && pin=(taskset -c "$2")
  local port ws=()
  for port in "$FERRY_PORT" "$UNBOUND_PORT"; do # at once: neither sits idle while the other warms (answers expire)
    "${pin[@]}" dnsperf -s 127.0.0.1 -p "$port" -d "$tmp/all.txt" -l "$WARMUP" -T "$1" -c $((10 * $1)) -q $((100 * $1)) \
      >/dev/null 2>&1 &
    ws+=($!)
  done
  wait "${ws[@]}" || true
  # then both idle at once until the mixes' shortest answers (TTL 30 s) have expired: at full load every answer was
  # prefetched before its expiry, so neither server has yet answered a query for an expired answer or seen its
  # receive time out (ferry: 1 s) after a quiet stretch, which every measured run after an idle gap meets (the
  # alternation leaves each server idle while the other runs). A JIT compiles the hit path without those branches
  # and deoptimizes it the first time they are taken (README, "The p99 hunt"): a cost of a fresh process, paid here,
  # as a server that has run for a while has paid it, not in the first measured run.
  sleep "$EXPIRE_IDLE"
  for port in "$FERRY_PORT" "$UNBOUND_PORT"; do
    "${pin[@]}" dnsperf -s 127.0.0.1 -p "$port" -d "$tmp/all.txt" -l 5 -Q "$RATE" -c 10 >/dev/null 2>&1 || true
  done
}

rss_kb() { ps -o rss= -p "$1" | tr -d ' ' || echo 0; }

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b + 0 == 0) print "n/a"; else printf "%.2f\n", a / b }'; }

median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

pooled() { # $1 port: the 99th percentile (ms) of every latency of the mix's REPS runs together; $2 = all: more
  sort -g "$tmp/pool-$1" | awk -v all="${2:-}" 'function q(p) {i=int(NR*p); if (i < 1) i=1; return a[i]*1000}
    {a[NR]=$1} END {if (NR == 0) {print "nan"; exit}
      if (all == "") printf "%.3f\n", q(0.99)
      else printf "p50 %.3f p90 %.3f p99 %.3f p99.9 %.3f ms (%d answers)\n", q(0.5), q(0.9), q(0.99), q(0.999), NR}'
}

scrape() { # ferry's cache gauges, if it serves metrics: "entries bytes"
  curl -s "http://127.0.0.1:$METRICS_PORT/metrics" 2>/dev/null \
    | awk '/^ferry_dns64_cache_entries / {e=$2} /^ferry_dns64_cache_bytes / {b=$2} END {printf "%d %d\n", e, b}'
}

distinct() { # resident memory while 2 x DISTINCT distinct names pass through each server
  METRICS_PORT=${METRICS_PORT:-25356}
  awk -v n="$DISTINCT" 'BEGIN { for (i = 0; i < n; i++) printf "n%d.wild.dns64.example AAAA\n", i }' >"$tmp/distinct.txt"
  echo
  echo "resident memory with $DISTINCT distinct names, sent twice at $DRATE qps (each a cache miss, an upstream A query and a synthesis);"
  echo "ferry JVM options: ${JOPTS[*]:-none}; RSS sampled every second (max), cache gauges at the end"
  printf "%-16s %10s %10s %12s %12s %10s\n" server cache_size rss_max_MB rss_end_MB entries bytes
  local size p maxkb kb metrics=(--metrics "127.0.0.1:$METRICS_PORT")
  [ -n "${FERRY_CLASSES:-}" ] && metrics=() # another build may not have --metrics (no cache gauges then)
  for size in $CACHE_SIZES unbound; do
    if [ "$size" = unbound ]; then
      start_unbound 1 ""; p=$UNBOUND_PID; port=$UNBOUND_PORT
    else
      local xmx=() mb=${size%m}
      if [ "$mb" != "$size" ] && [ -z "${FERRY_JAVA_OPTS+x}" ]; then # as ./ferry does: 48m + 2 x cache, >= 64m
        mb=$((48 + 2 * mb)); [ "$mb" -lt 64 ] && mb=64; xmx=("-Xmx${mb}m")
      fi
      env MALLOC_ARENA_MAX="${MALLOC_ARENA_MAX:-2}" "$JAVA" "${JOPTS[@]}" "${xmx[@]}" -cp "$FCP" ferry.app.Main dns64 --listen "127.0.0.1:$FERRY_PORT" --upstream "127.0.0.1:$AUTH_PORT" \
        --prefix 64:ff9b::/96 --threads 1 --cache-size "$size" "${metrics[@]}" >"$tmp/ferry.log" 2>&1 &
      FERRY_PID=$!; pids+=($FERRY_PID); wait_port "$FERRY_PORT"; p=$FERRY_PID; port=$FERRY_PORT
    fi
    maxkb=0
    ( for _ in 1 2; do dnsperf -s 127.0.0.1 -p "$port" -d "$tmp/distinct.txt" -n 1 -Q "$DRATE" -c 10 -t 5 >>"$tmp/dperf.txt" 2>&1; done ) &
    local dp=$!
    while kill -0 "$dp" 2>/dev/null; do
      kb=$(rss_kb "$p"); [ "${kb:-0}" -gt "$maxkb" ] && maxkb=$kb
      echo "$(date +%s) $size $kb" >>"$tmp/rss-trace.txt"
      sleep 1
    done
    wait "$dp" || true
    kb=$(rss_kb "$p")
    if [ "$size" = unbound ]; then
      printf "%-16s %10s %10d %12d %12s %10s\n" unbound "16m+32m" $((maxkb / 1024)) $((kb / 1024)) - -
      stop "$UNBOUND_PID"
    else
      read -r entries bytes <<<"$(scrape)"
      printf "%-16s %10s %10d %12d %12s %10s\n" ferry "$size" $((maxkb / 1024)) $((kb / 1024)) "$entries" "$bytes"
      stop "$FERRY_PID"
    fi
  done
  grep -E "Queries (sent|completed|lost)" "$tmp/dperf.txt" | sort | uniq -c | sed 's/^ */    /' >&2
  [ -n "${RSS_TRACE:-}" ] && cp "$tmp/rss-trace.txt" "$RSS_TRACE"
  return 0
}

if [ "${MIXES[0]}" = distinct ]; then distinct; exit 0; fi

echo
echo "ferry dns64 vs unbound $(unbound -V | head -1 | awk '{print $2}') (dns64 module), dnsperf $(dnsperf -h 2>&1 | awk '/Version/ {print $2}'), $CORES cores,"
echo "median of $REPS alternating runs: ${DURATION}s at full load for qps, ${P99_SECONDS}s at ${RATE} qps for p99;"
echo "both servers warmed at once with ${WARMUP}s of all mixes at full load, ${EXPIRE_IDLE}s idle, then 5s at ${RATE} qps each; unbound with prefetch: yes; ferry JVM options: ${JOPTS[*]:-none}, --cache-size $CACHE"
echo "load average at the start: $(cut -d' ' -f1-3 /proc/loadavg)"
printf "%-10s %-6s %10s %10s %6s %9s %9s %6s %9s %9s %6s %9s %9s\n" round mix ferry_qps unb_qps ratio ferry_p99 unb_p99 ratio \
  pool_f99 pool_u99 ratio ferry_rss unb_rss
for round in 1 "$CORES"; do
  if [ "$round" = 1 ]; then srv_cpu=0; cli_cpu=1; cli_threads=1; else srv_cpu=""; cli_cpu=""; cli_threads=$CORES; fi
  start_ferry "$round" "$srv_cpu"
  start_unbound "$round" "$srv_cpu"
  warm "$cli_threads" "$cli_cpu"
  for mix in "${MIXES[@]}"; do
    f="$tmp/$mix.txt"
    : >"$tmp/fq"; : >"$tmp/uq"; : >"$tmp/fp"; : >"$tmp/up"; : >"$tmp/pool-$FERRY_PORT"; : >"$tmp/pool-$UNBOUND_PORT"
    for _ in $(seq 1 "$REPS"); do # alternate, so drift in the machine's load hits both alike
      if [ "$QPS_RUNS" = 1 ]; then
        qps "$FERRY_PORT" "$cli_threads" "$cli_cpu" "$f" >>"$tmp/fq"
        qps "$UNBOUND_PORT" "$cli_threads" "$cli_cpu" "$f" >>"$tmp/uq"
      else echo 0 >>"$tmp/fq"; echo 0 >>"$tmp/uq"; fi
      p99 "$FERRY_PORT" "$cli_cpu" "$f" >>"$tmp/fp"
      p99 "$UNBOUND_PORT" "$cli_cpu" "$f" >>"$tmp/up"
    done
    fq=$(median <"$tmp/fq"); uq=$(median <"$tmp/uq"); fp=$(median <"$tmp/fp"); up=$(median <"$tmp/up")
    pf=$(pooled "$FERRY_PORT"); pu=$(pooled "$UNBOUND_PORT")
    echo "    $mix all answers of the $REPS runs: ferry $(pooled "$FERRY_PORT" all) | unbound $(pooled "$UNBOUND_PORT" all)" >&2
    echo "    $mix runs: ferry qps $(tr '\n' ' ' <"$tmp/fq")| unbound qps $(tr '\n' ' ' <"$tmp/uq")| ferry p99 $(tr '\n' ' ' <"$tmp/fp")| unbound p99 $(tr '\n' ' ' <"$tmp/up")" >&2
    frss=$(rss_kb "$FERRY_PID"); urss=$(rss_kb "$UNBOUND_PID")
    printf "%-10s %-6s %10.0f %10.0f %6s %7sms %7sms %6s %7sms %7sms %6s %7sMB %7sMB\n" "threads=$round" "$mix" "$fq" "$uq" \
      "$(ratio "$fq" "$uq")" "$fp" "$up" "$(ratio "$fp" "$up")" "$pf" "$pu" "$(ratio "$pf" "$pu")" $((frss / 1024)) $((urss / 1024))
  done
  stop "$FERRY_PID"
  stop "$UNBOUND_PID"
done
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "(qps ratio > 1 and p99 ratio < 1 favour ferry; ferry_p99/unb_p99: median of the runs' p99; pool_*99: p99 of all"
echo " answers of the REPS runs together; rss after each mix)"
