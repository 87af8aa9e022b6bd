#!/usr/bin/env bash
# Young collections of ferry dns64 per phase of a dnsperf run, on loopback only. Not run in CI.
#
# The same pieces as bench/dns64/run.sh (the tests' upstream ferry.dns64.TestAuthority, ferry dns64 with one thread
# pinned to CPU 0, dnsperf pinned to CPU 1), no unbound: ferry alone, with -Xlog:gc, through these phases:
#   warm_full   WARMUP s of all mixes at full load        warm_rate  5 s of all mixes at RATE qps
#   low         LOW s of MIX at RATE qps                   full       FULL s of MIX at full load
#   distinct    (only with DISTINCT=N) N distinct names under wild.dns64.example (each a cache miss) at DRATE qps
# and prints, per phase, the queries answered, the young collections (count, per second, longest and summed pause).
# Collections are what count here, not qps: they do not depend on the machine's load, qps does.
#
# Usage: bench/dns64/gc.sh            env: MIX=synth (synth real a all), RATE=10000, WARMUP=10, LOW=30, FULL=10,
#        DISTINCT=0, DRATE=5000, FERRY_JAVA_OPTS (default: FERRY_DNS64_JAVA_OPTS of ./ferry and -Xmx80m),
#        JFR=file.jfr (adds allocation sampling: jfr print --events jdk.ObjectAllocationSample file.jfr),
#        FERRY_CLASSES (another build's target/classes), KEEP=dir (keep the logs there)
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$here"
MIX=${MIX:-synth}; RATE=${RATE:-10000}; WARMUP=${WARMUP:-10}; LOW=${LOW:-30}; FULL=${FULL:-10}
DISTINCT=${DISTINCT:-0}; DRATE=${DRATE:-5000}
AUTH_PORT=${AUTH_PORT:-25363}; FERRY_PORT=${FERRY_PORT:-25364}
for c in dnsperf taskset dig; do command -v $c >/dev/null || { echo "gc.sh: $c missing (bench/dns64/run.sh installs dnsperf)" >&2; exit 1; }; done
. scripts/jdk.sh
ferry_find_jdk || exit 1
tmp=${KEEP:-$(mktemp -d /tmp/ferry-bench-dns64-gc.XXXXXX)}
mkdir -p "$tmp"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  [ -n "${KEEP:-}" ] || rm -rf "$tmp"
}
trap cleanup EXIT
(mvn -q -B -o -DskipTests test-compile dependency:build-classpath -Dmdep.outputFile="$tmp/cp.txt" >/dev/null 2>&1 \
  || mvn -q -B -DskipTests test-compile dependency:build-classpath -Dmdep.outputFile="$tmp/cp.txt" >&2)
CP="$(cat "$tmp/cp.txt")"
JAVA="$JAVA_HOME/bin/java"
read -r -a JOPTS <<<"${FERRY_JAVA_OPTS-$(sed -n 's/^FERRY_DNS64_JAVA_OPTS="\(.*\)"$/\1/p' ferry) -Xmx80m}"
[ -n "${JFR:-}" ] && JOPTS+=("-XX:StartFlightRecording=filename=$JFR,settings=$here/bench/dns64/alloc.jfc")

printf '%s\n' "a-only.dns64.example AAAA" "cname.dns64.example AAAA" "chain.dns64.example AAAA" "mapped.dns64.example AAAA" \
  "target.other.example AAAA" "host.other.example AAAA" >"$tmp/synth.txt"
printf '%s\n' "aaaa-only.dns64.example AAAA" "both.dns64.example AAAA" "mixed.dns64.example AAAA" "v6.other.example AAAA" \
  "cross-aaaa.dns64.example AAAA" >"$tmp/real.txt"
printf '%s\n' "a-only.dns64.example A" "both.dns64.example A" "mixed.dns64.example A" "target.other.example A" \
  "host.other.example A" >"$tmp/a.txt"
cat "$tmp/synth.txt" "$tmp/real.txt" "$tmp/a.txt" >"$tmp/all.txt"
[ -f "$tmp/$MIX.txt" ] || { echo "gc.sh: unknown MIX '$MIX' (synth real a all)" >&2; exit 2; }

"$JAVA" -cp "target/classes:target/test-classes:$CP" ferry.dns64.TestAuthority "$AUTH_PORT" >"$tmp/auth.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 50); do grep -q "test authority on" "$tmp/auth.log" && break; sleep 0.2; done
start=$(date +%s.%N)
env MALLOC_ARENA_MAX=2 taskset -c 0 "$JAVA" "${JOPTS[@]}" "-Xlog:gc:file=$tmp/gc.log:uptime" -cp "${FERRY_CLASSES:-target/classes}:$CP" \
  ferry.app.Main dns64 --listen "127.0.0.1:$FERRY_PORT" --upstream "127.0.0.1:$AUTH_PORT" --prefix 64:ff9b::/96 \
  --threads 1 --cache-size 16m >"$tmp/ferry.log" 2>&1 &
FERRY_PID=$!
pids+=($FERRY_PID)
for _ in $(seq 1 100); do dig @127.0.0.1 -p "$FERRY_PORT" +tries=1 +time=1 +short ipv4only.arpa A >/dev/null 2>&1 && break; sleep 0.2; done
: >"$tmp/phases"
phase() { # name, then the dnsperf arguments
  local name=$1; shift
  echo "$name $(awk -v a="$(date +%s.%N)" -v b="$start" 'BEGIN {printf "%.2f", a - b}')" >>"$tmp/phases"
  taskset -c 1 dnsperf -s 127.0.0.1 -p "$FERRY_PORT" "$@" >"$tmp/$name.txt" 2>&1 || true
}
load0=$(cut -d' ' -f1-3 /proc/loadavg)
phase warm_full -d "$tmp/all.txt" -l "$WARMUP" -c 10 -q 100
phase warm_rate -d "$tmp/all.txt" -l 5 -Q "$RATE" -c 10
phase low -d "$tmp/$MIX.txt" -l "$LOW" -Q "$RATE" -c 10
phase full -d "$tmp/$MIX.txt" -l "$FULL" -c 10 -q 100
if [ "$DISTINCT" -gt 0 ]; then
  awk -v n="$DISTINCT" 'BEGIN { for (i = 0; i < n; i++) printf "n%d.wild.dns64.example AAAA\n", i }' >"$tmp/names.txt"
  phase distinct -d "$tmp/names.txt" -n 1 -Q "$DRATE" -c 10 -t 5
fi
echo "end $(awk -v a="$(date +%s.%N)" -v b="$start" 'BEGIN {printf "%.2f", a - b}')" >>"$tmp/phases"
kill "$FERRY_PID"; wait "$FERRY_PID" 2>/dev/null || true
echo "ferry dns64 (one thread, CPU 0), MIX=$MIX, RATE=$RATE; JVM options: ${JOPTS[*]}"
echo "load average at the start: $load0, at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
awk -v dir="$tmp" '
  FNR == NR { name[NR] = $1; at[NR] = $2; n = NR; next }
  /Pause Young/ { t = substr($1, 2) + 0; ms = $NF; sub(/ms/, "", ms); gc[++g] = t; pause[g] = ms + 0 }
  END {
    printf "%-10s %7s %10s %10s %8s %12s %12s\n", "phase", "secs", "answered", "young_gcs", "per_s", "max_pause_ms", "sum_pause_ms"
    for (i = 1; i < n; i++) {
      c = 0; mx = 0; sm = 0
      for (j = 1; j <= g; j++) if (gc[j] >= at[i] && gc[j] < at[i + 1]) { c++; sm += pause[j]; if (pause[j] > mx) mx = pause[j] }
      q = 0; f = dir "/" name[i] ".txt"
      while ((getline line < f) > 0) if (line ~ /Queries completed/) { split(line, w, " "); q = w[3] }
      close(f)
      d = at[i + 1] - at[i]
      printf "%-10s %7.1f %10d %10d %8.2f %12.3f %12.1f\n", name[i], d, q, c, c / d, mx, sm
    }
  }' "$tmp/phases" "$tmp/gc.log"
grep -E "^(cache_hit|cache_miss|cache_miss_shared|upstream_queries) " "$tmp/ferry.log" | sed 's/  *#.*//' || true
