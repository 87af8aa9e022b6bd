#!/usr/bin/env bash
# Data-plane benchmark, run by hand as root (never by CI): builds three namespaces (ferry-bench-v6, -xlat, -v4)
# and measures, on the same topology and in one run:
#   kernel      plain IPv6 forwarding through the xlat namespace (no translation), GSO/GRO on: the upper bound
#   kernel-nogso  the same with GSO/GRO/TSO off on every veth
#   tayga       TAYGA (Debian's tayga package), the userspace baseline
#   ferry       ferry run (vnet headers off)
#   ferry-csum  ferry run with vnet headers: partial checksums, TSO4/TSO6 and USO super-packets translated whole
# with iperf3: TCP 1 and 4 streams (IPv6 host -> IPv4 host), UDP 64-byte datagrams at rising offered loads from
# several senders (delivered packets/s and loss), translator CPU seconds per gigabit, and ferry's resident memory
# (idle, and after the load). Median of RUNS runs each; before each run it waits (up to IDLE_WAIT s) until the
# 1-minute load average is below IDLE_LOAD.
#
# Usage: bench/dataplane/run.sh            (env: RUNS=3 SECS=10 UDP_RATES="50k 100k 200k 400k" UDP_SENDERS=4
#                                                 MODES="kernel kernel-nogso tayga ferry ferry-csum"
#                                                 FERRY_JAVA_OPTS="-Xmx48m -XX:+UseSerialGC")
# Needs: iproute2, iperf3, tayga, ethtool, python3, JDK 25 + Maven (the jar is built by ./ferry).
# Addresses: documentation ranges only (2001:db8::/32, 192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
RUNS=${RUNS:-3}
SECS=${SECS:-10}
UDP_RATES=${UDP_RATES:-"50k 100k 200k 400k"}
UDP_SENDERS=${UDP_SENDERS:-4}
MODES=${MODES:-"kernel kernel-nogso tayga ferry ferry-csum"}
IDLE_LOAD=${IDLE_LOAD:-0.5}
IDLE_WAIT=${IDLE_WAIT:-120}
FERRY_JAVA_OPTS=${FERRY_JAVA_OPTS:-"-Xmx48m -XX:+UseSerialGC"}
P=ferry-bench
V6=$P-v6; X=$P-xlat; V4=$P-v4
work=$(mktemp -d /tmp/ferry-bench.XXXXXX)
pids=()

[ "$(id -u)" = 0 ] || { echo "run as root" >&2; exit 1; }
for t in ip iperf3 tayga ethtool python3; do command -v $t >/dev/null || { echo "missing: $t" >&2; exit 1; }; done

cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  for ns in $V6 $X $V4; do ip netns del $ns 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

ns() { local n=$1; shift; ip netns exec "$n" "$@"; }
# bg VAR LOG NS CMD...: start CMD in namespace NS in the background (output to LOG), its PID into VAR
bg() { local var=$1 log=$2 n=$3; shift 3; ip netns exec "$n" "$@" >"$log" 2>&1 & pids+=($!); printf -v "$var" %s $!; }
stop() { kill "$1" 2>/dev/null || true; wait "$1" 2>/dev/null || true; }

wait_idle() {
  local t=0
  while awk -v lim="$IDLE_LOAD" '{exit !($1 >= lim)}' /proc/loadavg && [ $t -lt "$IDLE_WAIT" ]; do sleep 5; t=$((t+5)); done
  [ $t -lt "$IDLE_WAIT" ] || echo "  (machine not idle after ${IDLE_WAIT}s: load $(cut -d' ' -f1 /proc/loadavg); measuring anyway)" >&2
}

# ---------------------------------------------------------------------------------------------------- topology
V4_AS_V6=2001:db8:1c6:3364:2::     # 198.51.100.2 under pool6 2001:db8:100::/40 (RFC 6052)
topology() {
  for n in $V6 $X $V4; do ip netns add $n; ns $n ip link set lo up; done
  ip link add v6a netns $V6 type veth peer name v6b netns $X
  ip link add v4a netns $V4 type veth peer name v4b netns $X
  ns $V6 ip link set v6a up; ns $X ip link set v6b up; ns $X ip link set v4b up; ns $V4 ip link set v4a up
  ns $V6 ip -6 addr add 2001:db8:6::2/64 dev v6a nodad
  ns $X  ip -6 addr add 2001:db8:6::1/64 dev v6b nodad
  ns $V4 ip addr add 198.51.100.2/24 dev v4a
  ns $X  ip addr add 198.51.100.1/24 dev v4b
  # IPv6 on the IPv4 host's link too, for the kernel-forwarding baseline
  ns $V4 ip -6 addr add 2001:db8:4::2/64 dev v4a nodad
  ns $X  ip -6 addr add 2001:db8:4::1/64 dev v4b nodad
  ns $V6 ip -6 route add 2001:db8:4::/64 via 2001:db8:6::1
  ns $V4 ip -6 route add 2001:db8:6::/64 via 2001:db8:4::1
  ns $V6 ip -6 route add 2001:db8:100::/40 via 2001:db8:6::1
  ns $V4 ip route add 192.0.2.0/24 via 198.51.100.1
  ns $X sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1
}

gso() { # on|off for every veth
  for pair in "$V6 v6a" "$X v6b" "$X v4b" "$V4 v4a"; do
    set -- $pair; ns $1 ethtool -K $2 gso $3 tso $3 gro $3 >/dev/null 2>&1 || true
  done
}
gso_arg() { case $1 in on) echo on;; *) echo off;; esac; }

# ---------------------------------------------------------------------------------------------------- translators
xlat_pid=
start_mode() {
  local mode=$1
  case $mode in
    kernel) for d in "$V6 v6a" "$X v6b" "$X v4b" "$V4 v4a"; do set -- $d; ns $1 ethtool -K $2 gso on tso on gro on >/dev/null 2>&1 || true; done
            TARGET=2001:db8:4::2; SERVER=2001:db8:4::2; xlat_pid= ;;
    kernel-nogso) for d in "$V6 v6a" "$X v6b" "$X v4b" "$V4 v4a"; do set -- $d; ns $1 ethtool -K $2 gso off tso off gro off >/dev/null 2>&1 || true; done
            TARGET=2001:db8:4::2; SERVER=2001:db8:4::2; xlat_pid= ;;
    tayga)
      cat > "$work/tayga.conf" <<EOT
tun-device tayga0
ipv4-addr 203.0.113.1
ipv6-addr 2001:db8:ff::1
prefix 2001:db8:100::/40
map 192.0.2.2 2001:db8:6::2
EOT
      ns $X tayga -c "$work/tayga.conf" --mktun >/dev/null
      ns $X ip link set tayga0 up
      ns $X ip route add 192.0.2.0/24 dev tayga0
      ns $X ip -6 route add 2001:db8:100::/40 dev tayga0
      bg xlat_pid "$work/tayga.log" $X tayga -c "$work/tayga.conf" -n
      TARGET=$V4_AS_V6; SERVER=198.51.100.2 ;;
    ferry|ferry-csum)
      local vnet=false; [ $mode = ferry-csum ] && vnet=true
      cat > "$work/ferry.json" <<EOT
{ "global": { "pool6": "2001:db8:100::/40" },
  "eamt": [ { "ipv6 prefix": "2001:db8:6::/120", "ipv4 prefix": "192.0.2.0/24" } ],
  "ferry": { "ipv4-address": "203.0.113.1", "ipv6-address": "2001:db8:ff::1" },
  "tun": { "device": "ferry0", "vnet-header": $vnet, "routes": [ "2001:db8:100::/40", "192.0.2.0/24" ] } }
EOT
      . "$here/scripts/jdk.sh"; ferry_find_jdk >/dev/null
      [ -f "$here/target/ferry.jar" ] || "$here/ferry" --version >/dev/null
      bg xlat_pid "$work/ferry.err" $X "$JAVA_HOME/bin/java" --enable-native-access=ALL-UNNAMED $FERRY_JAVA_OPTS \
                   -jar "$here/target/ferry.jar" run --config "$work/ferry.json"
      for _ in $(seq 600); do grep -q 'event=ready instances=' "$work/ferry.err" 2>/dev/null && break; sleep 0.1; done
      grep -q 'event=ready instances=' "$work/ferry.err" || { cat "$work/ferry.err" >&2; exit 1; }
      TARGET=$V4_AS_V6; SERVER=198.51.100.2 ;;
  esac
  # the translated modes run with the default veth offloads
  case $mode in tayga|ferry*) for d in "$V6 v6a" "$X v6b" "$X v4b" "$V4 v4a"; do set -- $d; ns $1 ethtool -K $2 gso on tso on gro on >/dev/null 2>&1 || true; done;; esac
  sleep 0.5
  local ok=
  for _ in $(seq 10); do ns $V6 ping -c 1 -W 1 $TARGET >/dev/null 2>&1 && { ok=1; break; }; done
  [ -n "$ok" ] || { echo "$mode: no connectivity to $TARGET" >&2; exit 1; }
}

stop_mode() {
  local mode=$1
  if [ -n "$xlat_pid" ]; then stop "$xlat_pid"; xlat_pid=; fi
  case $mode in ferry*) grep 'event=counters ' "$work/ferry.err" | sed 's/^/  /' >&2 || true;; esac
  [ $mode = tayga ] && { ns $X tayga -c "$work/tayga.conf" --rmtun >/dev/null 2>&1 || true; }
  return 0
}

cpu_ticks() { [ -n "$xlat_pid" ] && awk '{print $14+$15}' /proc/$xlat_pid/stat || echo 0; }
rss_kib() { [ -n "$xlat_pid" ] && awk '/VmRSS/{print $2}' /proc/$xlat_pid/status || echo 0; }
HZ=$(getconf CLK_TCK)

# ---------------------------------------------------------------------------------------------------- measurements
tcp_run() { # streams -> "gbps cpu_s_per_gbit"
  local streams=$1 srv t0 t1 bps
  bg srv /dev/null $V4 iperf3 -s -1 -p 5201
  sleep 0.3
  t0=$(cpu_ticks)
  bps=$(ns $V6 iperf3 -c $TARGET -p 5201 -t "$SECS" -P "$streams" -J 2>/dev/null \
        | python3 -c 'import json,sys; print(json.load(sys.stdin)["end"]["sum_received"]["bits_per_second"])' || echo 0)
  t1=$(cpu_ticks)
  stop "$srv"
  python3 - "$bps" "$t0" "$t1" "$HZ" "$SECS" <<'PY'
import sys
bps, t0, t1, hz, secs = float(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5])
gbit = bps * secs / 1e9
cpu = (t1 - t0) / hz
print(f"{bps/1e9:.3f} {cpu/gbit if gbit > 0 and t1 > t0 else float('nan'):.2f}")
PY
}

udp_run() { # total offered rate (packets/s) -> "delivered_pps loss_pct"
  local rate=$1 per i s srvs=() outs=()
  per=$(python3 -c "import sys; r=sys.argv[1].lower(); n=float(r[:-1])*1000 if r.endswith('k') else float(r); print(int(n/$UDP_SENDERS))" "$rate")
  for i in $(seq "$UDP_SENDERS"); do bg s /dev/null $V4 iperf3 -s -1 -p $((5300+i)); srvs+=($s); done
  sleep 0.3
  for i in $(seq "$UDP_SENDERS"); do
    ( ns $V6 iperf3 -c $TARGET -p $((5300+i)) -u -l 64 -b $((per*64*8)) -t "$SECS" -J >"$work/udp$i.json" 2>/dev/null || true ) &
    outs+=($!)
  done
  for o in "${outs[@]}"; do wait "$o" || true; done
  for s in "${srvs[@]}"; do stop "$s"; done
  python3 - "$work" "$UDP_SENDERS" "$SECS" <<'PY'
import json, sys, os
work, n, secs = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
sent = lost = 0
for i in range(1, n + 1):
    try:
        e = json.load(open(os.path.join(work, f"udp{i}.json")))["end"]["sum"]
        sent += e["packets"]; lost += e["lost_packets"]
    except Exception:
        pass
print(f"{(sent - lost) / secs:.0f} {100.0 * lost / sent if sent else 100.0:.2f}")
PY
}

median() { python3 -c 'import sys,statistics; v=[float(x) for x in sys.argv[1:]]; print(f"{statistics.median(v):.3f}" if v else "nan")' "$@"; }

# ---------------------------------------------------------------------------------------------------- main
topology
declare -A R
for mode in $MODES; do
  echo "== $mode" >&2
  start_mode $mode
  [ -n "$xlat_pid" ] && R[$mode,rss_idle]=$(( $(rss_kib) / 1024 ))
  for streams in 1 4; do
    g=(); c=()
    for r in $(seq "$RUNS"); do
      wait_idle; read -r gbps cpg < <(tcp_run $streams); g+=($gbps); c+=($cpg)
      echo "  tcp x$streams run $r: $gbps Gbit/s, ${cpg} CPU s/Gbit" >&2
    done
    R[$mode,tcp$streams]=$(median "${g[@]}"); R[$mode,cpg$streams]=$(median "${c[@]}")
  done
  for rate in $UDP_RATES; do
    d=(); l=()
    for r in $(seq "$RUNS"); do
      wait_idle; read -r pps loss < <(udp_run $rate); d+=($pps); l+=($loss)
      echo "  udp 64B offered $rate/s run $r: $pps pps delivered, $loss% lost" >&2
    done
    R[$mode,udp$rate]=$(median "${d[@]}"); R[$mode,loss$rate]=$(median "${l[@]}")
  done
  [ -n "$xlat_pid" ] && R[$mode,rss_load]=$(( $(rss_kib) / 1024 ))
  stop_mode $mode
done

# ---------------------------------------------------------------------------------------------------- table
echo
printf "%-14s %10s %10s %12s %12s %9s %9s" mode "TCPx1 Gb/s" "TCPx4 Gb/s" "CPUs/Gbit x1" "CPUs/Gbit x4" "RSS idle" "RSS load"
for rate in $UDP_RATES; do printf " %16s" "UDP@$rate pps/loss"; done; echo
for mode in $MODES; do
  idle=${R[$mode,rss_idle]:+${R[$mode,rss_idle]}M}; load=${R[$mode,rss_load]:+${R[$mode,rss_load]}M}
  printf "%-14s %10s %10s %12s %12s %9s %9s" $mode "${R[$mode,tcp1]}" "${R[$mode,tcp4]}" "${R[$mode,cpg1]}" "${R[$mode,cpg4]}" \
    "${idle:--}" "${load:--}"
  for rate in $UDP_RATES; do printf " %16s" "${R[$mode,udp$rate]}/${R[$mode,loss$rate]}%"; done; echo
done
ratio() { python3 -c 'import sys; a,b=float(sys.argv[1]),float(sys.argv[2]); print(f"{a/b:.2f}" if b else "nan")' "$1" "$2"; }
echo
for m in ferry ferry-csum; do
  case " $MODES " in *" $m "*) ;; *) continue;; esac
  for base in tayga kernel kernel-nogso; do
    case " $MODES " in *" $base "*) ;; *) continue;; esac
    printf "%s/%s: TCPx1 %s  TCPx4 %s" $m $base "$(ratio "${R[$m,tcp1]}" "${R[$base,tcp1]}")" "$(ratio "${R[$m,tcp4]}" "${R[$base,tcp4]}")"
    for rate in $UDP_RATES; do printf "  UDP@%s %s" $rate "$(ratio "${R[$m,udp$rate]}" "${R[$base,udp$rate]}")"; done; echo
  done
done
