# Shared by bench/dataplane/run.sh, mem.sh and soak.sh (sourced, not run): the three namespaces ferry-bench-v6,
# -xlat, -v4 (veth pairs, documentation addresses only, removed on exit), the translators (kernel forwarding,
# TAYGA, ferry through the ./ferry launcher, so its JVM defaults are what is measured) and the iperf3 measurements.
# Env read here: FERRY_JAVA_OPTS (passed through to ./ferry: unset = the launcher's defaults), FERRY_QUEUES
# (the "tun" queues, default 2), IDLE_LOAD, IDLE_WAIT, SECS, UDP_SENDERS, RCVBUF (iperf3 -w for UDP, default 4M).
# Addresses: documentation ranges only (2001:db8::/32, 192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24).
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
IDLE_LOAD=${IDLE_LOAD:-0.5}
IDLE_WAIT=${IDLE_WAIT:-120}
SECS=${SECS:-10}
UDP_SENDERS=${UDP_SENDERS:-4}
FERRY_QUEUES=${FERRY_QUEUES:-2}
RCVBUF=${RCVBUF-4M}   # the UDP receivers' socket buffer (iperf3 -w; net.core.rmem_max caps it); empty: the default
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
loadavg() { cut -d' ' -f1-3 /proc/loadavg; }

wait_idle() {
  local t=0
  while awk -v lim="$IDLE_LOAD" '{exit !($1 >= lim)}' /proc/loadavg && [ $t -lt "$IDLE_WAIT" ]; do sleep 5; t=$((t+5)); done
  [ $t -lt "$IDLE_WAIT" ] || echo "  (machine not idle after ${IDLE_WAIT}s: load $(cut -d' ' -f1 /proc/loadavg); measuring anyway)" >&2
}

# ---------------------------------------------------------------------------------------------------- topology
V4_AS_V6=2001:db8:1c6:3364:2::     # 198.51.100.2 under pool6 2001:db8:100::/40 (RFC 6052)
topology() {
  for n in $V6 $X $V4; do ip netns del $n 2>/dev/null || true; done   # left over from a killed run
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

veth_offloads() { # on|off: GSO/TSO/GRO on every veth
  local v=$1 d
  for d in "$V6 v6a" "$X v6b" "$X v4b" "$V4 v4a"; do set -- $d; ns $1 ethtool -K $2 gso $v tso $v gro $v >/dev/null 2>&1 || true; done
}

# ---------------------------------------------------------------------------------------------------- translators
xlat_pid=
FERRY_ENV=()   # env(1) arguments for ferry's process: -u VAR, VAR=value
start_mode() {
  local mode=$1
  case $mode in
    kernel) veth_offloads on; TARGET=2001:db8:4::2; SERVER=2001:db8:4::2; xlat_pid= ;;
    kernel-nogso) veth_offloads off; TARGET=2001:db8:4::2; SERVER=2001:db8:4::2; xlat_pid= ;;
    tayga)
      cat > "$work/tayga.conf" <<EOT
tun-device tayga0
ipv4-addr 203.0.113.1
ipv6-addr 2001:db8:ff::1
prefix 2001:db8:100::/40
map 192.0.2.2 2001:db8:6::2
EOT
      ns $X tayga -c "$work/tayga.conf" --mktun >/dev/null
      # the same TUN ring as ferry gives the device it creates (TunInterfaceSetup.CREATED_TXQUEUELEN), so both
      # translators absorb the same bursts; TAYGA_TXQUEUELEN=500 for the kernel's default
      ns $X ip link set tayga0 txqueuelen "${TAYGA_TXQUEUELEN:-4096}" up
      ns $X ip route add 192.0.2.0/24 dev tayga0
      ns $X ip -6 route add 2001:db8:100::/40 dev tayga0
      bg xlat_pid "$work/tayga.log" $X tayga -c "$work/tayga.conf" -n
      TARGET=$V4_AS_V6; SERVER=198.51.100.2 ;;
    ferry|ferry-csum|ferry-uring|ferry-csum-uring)
      local vnet=false io=syscalls
      case $mode in ferry-csum*) vnet=true;; esac
      case $mode in *-uring) io=uring;; esac
      cat > "$work/ferry.json" <<EOT
{ "global": { "pool6": "2001:db8:100::/40" },
  "eamt": [ { "ipv6 prefix": "2001:db8:6::/120", "ipv4 prefix": "192.0.2.0/24" } ],
  "ferry": { "ipv4-address": "203.0.113.1", "ipv6-address": "2001:db8:ff::1" },
  "tun": { "device": "ferry0", "queues": $FERRY_QUEUES, "vnet-header": $vnet, "io": "$io",
           "routes": [ "2001:db8:100::/40", "192.0.2.0/24" ] } }
EOT
      "$here/ferry" --version >/dev/null   # builds target/ferry.jar when it is missing or stale
      # the launcher execs java: the PID is the JVM's; FERRY_JAVA_OPTS (when set) passes through the environment
      bg xlat_pid "$work/ferry.err" $X env "${FERRY_ENV[@]}" "$here/ferry" run --config "$work/ferry.json" --control-socket "$work/ferry.sock"
      for _ in $(seq 600); do grep -q 'event=ready instances=' "$work/ferry.err" 2>/dev/null && break; sleep 0.1; done
      grep -q 'event=ready instances=' "$work/ferry.err" || { cat "$work/ferry.err" >&2; exit 1; }
      TARGET=$V4_AS_V6; SERVER=198.51.100.2 ;;
    *) echo "unknown mode $mode" >&2; exit 2 ;;
  esac
  # the translated modes run with the default veth offloads
  case $mode in tayga|ferry*) veth_offloads on;; esac
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

rate_pps() { python3 -c "import sys; r=sys.argv[1].lower(); print(int(float(r[:-1])*1000 if r.endswith('k') else float(r)))" "$1"; }

udp_run() { # total offered rate (packets/s) [secs] -> "delivered_pps loss_pct translator_cpu_s_per_million_packets"
  local rate=$1 secs=${2:-$SECS} per i s srvs=() outs=() w=() t0 t1
  per=$(( $(rate_pps "$rate") / UDP_SENDERS ))
  [ -n "$RCVBUF" ] && w=(-w "$RCVBUF")
  for i in $(seq "$UDP_SENDERS"); do bg s /dev/null $V4 iperf3 -s -1 -p $((5300+i)); srvs+=($s); done
  sleep 0.3
  t0=$(cpu_ticks)
  for i in $(seq "$UDP_SENDERS"); do
    ( ns $V6 iperf3 -c $TARGET -p $((5300+i)) -u -l 64 -b $((per*64*8)) "${w[@]}" -t "$secs" -J >"$work/udp$i.json" 2>/dev/null || true ) &
    outs+=($!)
  done
  for o in "${outs[@]}"; do wait "$o" || true; done
  t1=$(cpu_ticks)
  for s in "${srvs[@]}"; do stop "$s"; done
  python3 - "$work" "$UDP_SENDERS" "$secs" "$t0" "$t1" "$HZ" <<'PY'
import json, sys, os
work, n, secs = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
t0, t1, hz = int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6])
sent = lost = 0
for i in range(1, n + 1):
    try:
        e = json.load(open(os.path.join(work, f"udp{i}.json")))["end"]["sum"]
        sent += e["packets"]; lost += e["lost_packets"]
    except Exception:
        pass
# translator CPU (all its threads: /proc/PID/stat utime+stime, io_uring workers included) per million packets
# delivered; nan for the kernel modes (no translator process)
cpm = (t1 - t0) / hz / ((sent - lost) / 1e6) if sent > lost and t1 > t0 else float("nan")
print(f"{(sent - lost) / secs:.0f} {100.0 * lost / sent if sent else 100.0:.2f} {cpm:.2f}")
PY
}

# where UDP datagrams were lost: the receiver's socket buffer (Udp RcvbufErrors in the IPv4 host), the egress
# device's TX drops in the xlat namespace (the TUN device's own queue: "ip -s link"), and ferry's counter of
# writes refused with EAGAIN -> "rcvbuf txdrop" (cumulative; subtract two snapshots)
udp_where() {
  local dev=v4b
  case $1 in tayga) dev=tayga0;; ferry*) dev=ferry0;; esac
  local rb tx
  rb=$(ns $V4 awk '/^Udp:/{if(!h){for(i=1;i<=NF;i++)k[i]=$i;h=1}else{for(i=1;i<=NF;i++)if(k[i]=="RcvbufErrors")print $i}}' /proc/net/snmp)
  tx=$(ns $X cat /sys/class/net/$dev/statistics/tx_dropped 2>/dev/null || echo 0)
  echo "${rb:-0} ${tx:-0}"
}

median() { python3 -c 'import sys,statistics; v=[float(x) for x in sys.argv[1:]]; print(f"{statistics.median(v):.3f}" if v else "nan")' "$@"; }
