#!/usr/bin/env bash
# Soak test of ferry's resident memory, by hand as root (never in CI): `ferry run` (SIIT, 2 queues, vnet header on,
# the launcher's JVM defaults unless FERRY_JAVA_OPTS is set) in the ferry-bench-* namespaces of lib.sh, idle RSS,
# then DURATION seconds of steady load (iperf3 TCP at TCP_RATE and UDP 64-byte datagrams at UDP_RATE from
# UDP_SENDERS senders, IPv6 host -> IPv4 host) with VmRSS sampled every INTERVAL seconds, then idle RSS again.
# Prints every sample and a verdict: steady when no sample after the first minute exceeds the largest of the
# first minute by more than SLACK_MIB; idle within 64 MiB when the idle samples are.
#
# Usage: bench/dataplane/soak.sh     (env: DURATION=600 INTERVAL=10 TCP_RATE=1G UDP_RATE=50k UDP_SENDERS=2
#                                          SLACK_MIB=2 MODE=ferry-csum)
set -euo pipefail
DURATION=${DURATION:-600}
INTERVAL=${INTERVAL:-10}
TCP_RATE=${TCP_RATE:-1G}
UDP_RATE=${UDP_RATE:-50k}
UDP_SENDERS=${UDP_SENDERS:-2}
SLACK_MIB=${SLACK_MIB:-2}
MODE=${MODE:-ferry-csum}
IDLE_WAIT=${IDLE_WAIT:-0}
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

topology
start_mode "$MODE"
[ -n "$xlat_pid" ] || { echo "MODE must be ferry or ferry-csum" >&2; exit 2; }
sleep 5
idle0=$(( $(rss_kib) / 1024 ))
echo "$(date -u +%H:%M:%S) idle after start: ${idle0} MiB (load $(loadavg))"

# steady load for DURATION: one TCP stream (rate-limited) and UDP senders, each with its own server
per=$(( $(rate_pps "$UDP_RATE") / UDP_SENDERS ))
loadpids=()
bg s /dev/null $V4 iperf3 -s -1 -p 5201; loadpids+=($s)
for i in $(seq "$UDP_SENDERS"); do bg s /dev/null $V4 iperf3 -s -1 -p $((5300+i)); loadpids+=($s); done
sleep 0.5
bg c "$work/tcp.json" $V6 iperf3 -c "$TARGET" -p 5201 -b "$TCP_RATE" -t "$DURATION" -J; loadpids+=($c)
for i in $(seq "$UDP_SENDERS"); do
  bg c "$work/udp$i.json" $V6 iperf3 -c "$TARGET" -p $((5300+i)) -u -l 64 -b $((per*64*8)) -t "$DURATION" -J; loadpids+=($c)
done
t0=$(date +%s)
samples=()
echo "   t/s  RSS MiB  load"
while :; do
  sleep "$INTERVAL"
  t=$(( $(date +%s) - t0 ))
  r=$(( $(rss_kib) / 1024 )); samples+=("$t:$r")
  printf "%6d %8d  %s\n" "$t" "$r" "$(loadavg)"
  [ "$t" -lt "$DURATION" ] || break
done
for p in "${loadpids[@]}"; do wait "$p" 2>/dev/null || true; done
python3 - "$work" "$UDP_SENDERS" <<'PY'
import json, sys, os
work, n = sys.argv[1], int(sys.argv[2])
try:
    t = json.load(open(os.path.join(work, "tcp.json")))["end"]["sum_received"]["bits_per_second"]
    print(f"load carried: TCP {t/1e9:.2f} Gbit/s", end="")
except Exception as e:
    print(f"load carried: TCP ? ({e})", end="")
sent = lost = 0
for i in range(1, n + 1):
    try:
        e = json.load(open(os.path.join(work, f"udp{i}.json")))["end"]["sum"]
        sent += e["packets"]; lost += e["lost_packets"]
    except Exception:
        pass
print(f", UDP {sent} datagrams sent, {100.0 * lost / sent if sent else 100.0:.2f}% lost")
PY
sleep 10
idle1=$(( $(rss_kib) / 1024 ))
echo "$(date -u +%H:%M:%S) idle 10 s after the load: ${idle1} MiB (load $(loadavg))"
stop_mode "$MODE"

python3 - "$idle0" "$idle1" "$SLACK_MIB" "${samples[@]}" <<'PY'
import sys
idle0, idle1, slack = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
s = [tuple(map(int, x.split(":"))) for x in sys.argv[4:]]
first = [r for t, r in s if t <= 60] or [s[0][1]]
later = [r for t, r in s if t > 60]
start, end, mx = s[0][1], s[-1][1], max(r for _, r in s)
print(f"under load: start {start} MiB, end {end} MiB, max {mx} MiB, min {min(r for _, r in s)} MiB ({len(s)} samples)")
steady = not later or max(later) <= max(first) + slack
print(f"verdict: {'STEADY' if steady else 'GROWING'} (after the first minute no sample above "
      f"{max(first)} + {slack} MiB: {'yes' if steady else 'no, max ' + str(max(later))}); "
      f"idle {idle0} -> {idle1} MiB: {'within' if max(idle0, idle1) <= 64 else 'ABOVE'} the 64 MiB goal")
PY
