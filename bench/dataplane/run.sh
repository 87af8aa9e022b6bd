#!/usr/bin/env bash
# Data-plane benchmark, run by hand as root (never by CI): builds three namespaces (ferry-bench-v6, -xlat, -v4)
# and measures, on the same topology and in one run:
#   kernel      plain IPv6 forwarding through the xlat namespace (no translation), GSO/GRO on: the upper bound
#   kernel-nogso  the same with GSO/GRO/TSO off on every veth
#   tayga       TAYGA (Debian's tayga package), the userspace baseline
#   ferry       ferry run (vnet headers off)
#   ferry-csum  ferry run with vnet headers: partial checksums, TSO4/TSO6 and USO super-packets translated whole
#   ferry-uring, ferry-csum-uring  the same two with "io": "uring" (reads and writes batched through io_uring)
# with iperf3: TCP 1 and 4 streams (IPv6 host -> IPv4 host), UDP 64-byte datagrams at rising offered loads from
# several senders (delivered packets/s and loss), translator CPU seconds per gigabit, and ferry's resident memory
# (idle, and after the load). Median of RUNS runs each; before each run it waits (up to IDLE_WAIT s) until the
# 1-minute load average is below IDLE_LOAD.
#
# Usage: bench/dataplane/run.sh            (env: RUNS=3 SECS=10 UDP_RATES="50k 100k 200k 400k" UDP_SENDERS=4
#                                                 MODES="kernel kernel-nogso tayga ferry ferry-csum"
#                                                 FERRY_JAVA_OPTS: unset = the ./ferry launcher's defaults)
# Needs: iproute2, iperf3, tayga, ethtool, python3, JDK 25 + Maven (the jar is built by ./ferry).
# Addresses: documentation ranges only (2001:db8::/32, 192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
RUNS=${RUNS:-3}
SECS=${SECS:-10}
UDP_RATES=${UDP_RATES:-"50k 100k 200k 400k"}
UDP_SENDERS=${UDP_SENDERS:-4}
MODES=${MODES:-"kernel kernel-nogso tayga ferry ferry-csum"}
TCP_STREAMS=${TCP_STREAMS-"1 4"}   # empty: UDP only (the table then shows no TCP figures)
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# ---------------------------------------------------------------------------------------------------- main
topology
declare -A R
for mode in $MODES; do
  echo "== $mode" >&2
  start_mode $mode
  [ -n "$xlat_pid" ] && { sleep 5; R[$mode,rss_idle]=$(( $(rss_kib) / 1024 )); }
  for streams in $TCP_STREAMS; do
    g=(); c=()
    for r in $(seq "$RUNS"); do
      wait_idle; read -r gbps cpg < <(tcp_run $streams); g+=($gbps); c+=($cpg)
      echo "  tcp x$streams run $r: $gbps Gbit/s, ${cpg} CPU s/Gbit" >&2
    done
    R[$mode,tcp$streams]=$(median "${g[@]}"); R[$mode,cpg$streams]=$(median "${c[@]}")
  done
  for rate in $UDP_RATES; do
    d=(); l=(); cm=()
    for r in $(seq "$RUNS"); do
      wait_idle; read -r rb0 tx0 < <(udp_where $mode)
      read -r pps loss cpm < <(udp_run $rate); d+=($pps); l+=($loss); cm+=($cpm)
      read -r rb1 tx1 < <(udp_where $mode)
      echo "  udp 64B offered $rate/s run $r: $pps pps delivered, $loss% lost, translator $cpm CPU s per million"\
           "packets (receiver RcvbufErrors +$((rb1-rb0)), xlat egress TX dropped +$((tx1-tx0)); load $(loadavg))" >&2
    done
    R[$mode,udp$rate]=$(median "${d[@]}"); R[$mode,loss$rate]=$(median "${l[@]}"); R[$mode,cpm$rate]=$(median "${cm[@]}")
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
  printf "%-14s %10s %10s %12s %12s %9s %9s" $mode "${R[$mode,tcp1]:--}" "${R[$mode,tcp4]:--}" "${R[$mode,cpg1]:--}" "${R[$mode,cpg4]:--}" \
    "${idle:--}" "${load:--}"
  for rate in $UDP_RATES; do printf " %16s" "${R[$mode,udp$rate]}/${R[$mode,loss$rate]}%"; done; echo
done
echo
printf "%-16s" "CPU s/Mpkt"; for rate in $UDP_RATES; do printf " %9s" "UDP@$rate"; done; echo
for mode in $MODES; do
  printf "%-16s" $mode; for rate in $UDP_RATES; do printf " %9s" "${R[$mode,cpm$rate]}"; done; echo
done
ratio() { python3 -c 'import sys
try: a,b=float(sys.argv[1]),float(sys.argv[2]); print(f"{a/b:.2f}" if b else "nan")
except ValueError: print("-")' "$1" "$2"; }
echo
for m in ferry ferry-csum ferry-uring ferry-csum-uring; do
  case " $MODES " in *" $m "*) ;; *) continue;; esac
  for base in tayga kernel kernel-nogso; do
    case " $MODES " in *" $base "*) ;; *) continue;; esac
    printf "%s/%s: TCPx1 %s  TCPx4 %s" $m $base "$(ratio "${R[$m,tcp1]:-}" "${R[$base,tcp1]:-}")" "$(ratio "${R[$m,tcp4]:-}" "${R[$base,tcp4]:-}")"
    for rate in $UDP_RATES; do printf "  UDP@%s %s" $rate "$(ratio "${R[$m,udp$rate]}" "${R[$base,udp$rate]}")"; done; echo
  done
done
for m in ferry ferry-csum ferry-uring ferry-csum-uring; do
  case " $MODES " in *" $m "*) ;; *) continue;; esac
  for base in tayga ferry ferry-csum; do
    [ $base = $m ] && continue
    case " $MODES " in *" $base "*) ;; *) continue;; esac
    printf "CPU per packet %s/%s:" $m $base
    for rate in $UDP_RATES; do printf "  UDP@%s %s" $rate "$(ratio "${R[$m,cpm$rate]}" "${R[$base,cpm$rate]}")"; done; echo
  done
done
echo
# UDP rising load: the highest offered load each mode carries with a median loss under 1 %
declare -A KNEE
for mode in $MODES; do
  k=; over=
  for rate in $UDP_RATES; do
    if awk -v l="${R[$mode,loss$rate]}" 'BEGIN{exit !(l < 1.0)}'; then [ -z "$over" ] && k=$rate; else over=1; fi
  done
  KNEE[$mode]=$k
  top=${UDP_RATES##* }
  if [ -z "$k" ]; then echo "$mode: highest UDP load under 1% loss: below ${UDP_RATES%% *} packets/s"
  elif [ "$k" = "$top" ]; then echo "$mode: highest UDP load under 1% loss: $k packets/s or more (the highest offered)"
  else echo "$mode: highest UDP load under 1% loss: $k packets/s"; fi
done
for m in ferry ferry-csum ferry-uring ferry-csum-uring; do
  case " $MODES " in *" $m "*) ;; *) continue;; esac
  case " $MODES " in *" tayga "*) ;; *) continue;; esac
  [ -n "${KNEE[$m]}" ] && [ -n "${KNEE[tayga]}" ] || { echo "$m/tayga knee ratio: n/a (a mode lost >= 1% at every load)"; continue; }
  echo "$m/tayga highest-load-under-1%-loss ratio: $(ratio "$(rate_pps "${KNEE[$m]}")" "$(rate_pps "${KNEE[tayga]}")")"\
       "$([ "${KNEE[tayga]}" = "${UDP_RATES##* }" ] && echo '(TAYGA never lost 1%: offer more)')"
done
echo "load average at the end: $(loadavg)"

