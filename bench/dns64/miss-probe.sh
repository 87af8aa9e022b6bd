#!/usr/bin/env bash
# How long one cache miss takes while a DNS64 server answers a steady cached load. Not run in CI.
#
# The tests' authoritative server (ferry.dns64.TestAuthority) is the upstream on 127.0.0.1; the server under test
# (ferry dns64 --threads 1, or unbound with its dns64 module: the same set-up as bench/dns64/run.sh) is pinned to
# CPU 0, and dnsperf keeps RATE (10 000) qps of the cached `synth` mix on it from CPU 1. Every 6 s a client asks
# short.dns64.example AAAA (TTL 5 s, so each time a miss: an upstream AAAA and A query, then the synthesis) and,
# right after, the same again (a hit), timing each with a monotonic clock in microseconds (dig's clock counts in
# coarse steps). Prints one line per miss and the median.
#
# Usage: bench/dns64/miss-probe.sh ferry|unbound
#   env: N=8 misses, RATE=10000, FERRY_WARM_UP (ferry's --warm-up; unset: its default), WARM_MISSES=0 (before the
#        probe, this many distinct names that miss, at 5000 qps: the miss path warmed by traffic), WARM_AUTH=0 (this
#        many queries straight to the upstream first, so that its own JIT is warm too), FERRY_CLASSES (another
#        build's target/classes), AUTH_PORT/PORT (35353/35354)
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$here"
WHICH=${1:-ferry}
N=${N:-8}
RATE=${RATE:-10000}
AUTH_PORT=${AUTH_PORT:-35353}
PORT=${PORT:-35354}
case "$WHICH" in ferry|unbound) ;; *) echo "usage: $0 ferry|unbound" >&2; exit 2 ;; esac
for c in dnsperf python3 taskset dig; do
  command -v "$c" >/dev/null || { echo "bench: $c is missing (Debian: dnsperf python3 util-linux bind9-dnsutils)" >&2; exit 1; }
done
[ "$WHICH" = unbound ] && { command -v unbound >/dev/null || { echo "bench: unbound is missing" >&2; exit 1; }; }
. scripts/jdk.sh
. bench/dns64/common.sh
bench_start miss-probe
bench_build
read -r -a JOPTS <<<"${FERRY_JAVA_OPTS-$(sed -n 's/^FERRY_DNS64_JAVA_OPTS="\(.*\)"$/\1/p' ferry)}"

"$JAVA_HOME/bin/java" -cp "$CP" ferry.dns64.TestAuthority "$AUTH_PORT" >"$tmp/auth.log" 2>&1 & pids+=($!)
for _ in $(seq 1 50); do grep -q "test authority on" "$tmp/auth.log" && break; sleep 0.2; done
if [ "$WHICH" = ferry ]; then
  taskset -c 0 env MALLOC_ARENA_MAX=2 "$JAVA_HOME/bin/java" "${JOPTS[@]}" --enable-native-access=ALL-UNNAMED -cp "$FCP" \
    ferry.app.Main dns64 --listen "127.0.0.1:$PORT" --upstream "127.0.0.1:$AUTH_PORT" --prefix 64:ff9b::/96 --threads 1 \
    ${FERRY_WARM_UP:+--warm-up "$FERRY_WARM_UP"} >"$tmp/server.log" 2>&1 & pids+=($!)
else
  unbound_conf "$tmp" "$PORT" "$AUTH_PORT" 1 >"$tmp/u.conf"
  taskset -c 0 unbound -d -c "$tmp/u.conf" >"$tmp/server.log" 2>&1 & pids+=($!)
fi
for _ in $(seq 1 100); do dig @127.0.0.1 -p "$PORT" +tries=1 +time=1 +short ipv4only.arpa A >/dev/null 2>&1 && break; sleep 0.2; done
# ferry: let its start-up warm-up end (it prints a line) before the load starts
if [ "$WHICH" = ferry ] && [ "${FERRY_WARM_UP:-1}" != 0 ]; then
  for _ in $(seq 1 300); do grep -q "warm-up" "$tmp/server.log" && break; sleep 0.2; done
  grep "warm-up" "$tmp/server.log" || true
fi

write_mixes "$tmp"
taskset -c 1 dnsperf -s 127.0.0.1 -p "$PORT" -d "$tmp/synth.txt" -l 20 -c 10 -q 100 >/dev/null 2>&1
if [ "${WARM_AUTH:-0}" -gt 0 ]; then
  for j in $(seq 1 "$WARM_AUTH"); do echo "a$j.wild.dns64.example A"; done >"$tmp/wa.txt"
  taskset -c 1 dnsperf -s 127.0.0.1 -p "$AUTH_PORT" -d "$tmp/wa.txt" -n 1 -c 10 -q 200 -Q 5000 >/dev/null 2>&1
  echo "the upstream warmed with $WARM_AUTH queries"
fi
if [ "${WARM_MISSES:-0}" -gt 0 ]; then
  for j in $(seq 1 "$WARM_MISSES"); do echo "w$j.wild.dns64.example AAAA"; done >"$tmp/w.txt"
  taskset -c 1 dnsperf -s 127.0.0.1 -p "$PORT" -d "$tmp/w.txt" -n 1 -c 10 -q 200 -Q 5000 >/dev/null 2>&1
  echo "the server warmed with $WARM_MISSES misses"
fi
taskset -c 1 dnsperf -s 127.0.0.1 -p "$PORT" -d "$tmp/synth.txt" -l $((N * 6 + 30)) -Q "$RATE" -c 10 >/dev/null 2>&1 & pids+=($!)
sleep 7
cat >"$tmp/q.py" <<'PY'
import random, socket, struct, sys, time
port, name = int(sys.argv[1]), sys.argv[2]
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(2)
def ask():
    qid = random.randrange(65536)
    q = struct.pack('>HHHHHH', qid, 0x0100, 1, 0, 0, 0)
    for label in name.rstrip('.').split('.'):
        q += bytes([len(label)]) + label.encode()
    q += b'\x00' + struct.pack('>HH', 28, 1)
    t0 = time.perf_counter_ns()
    s.sendto(q, ('127.0.0.1', port))
    while True:
        d = s.recv(4096)
        if struct.unpack('>H', d[:2])[0] == qid:
            return (time.perf_counter_ns() - t0) // 1000, d[3] & 15, struct.unpack('>H', d[6:8])[0]
miss, hit = ask(), ask()
print(miss[0], hit[0], miss[1], miss[2])
PY
misses=()
for i in $(seq 1 "$N"); do
  read -r m h rc an < <(python3 "$tmp/q.py" "$PORT" short.dns64.example)
  echo "miss $i: $m us (rcode $rc, $an answers), then the hit: $h us"
  misses+=("$m")
  sleep 6
done
printf '%s\n' "${misses[@]}" | sort -n | awk -v w="$WHICH" '{a[NR]=$1} END {m = NR % 2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2; printf "%s: median miss %.0f us of %d (min %d, max %d); load %s\n", w, m, NR, a[1], a[NR], "'"$(cut -d' ' -f1-3 /proc/loadavg)"'"}'
