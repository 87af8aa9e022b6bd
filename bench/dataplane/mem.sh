#!/usr/bin/env bash
# Resident memory of `ferry run` (SIIT, 2 queues, vnet header on) for candidate JVM/glibc settings, by hand as
# root (never in CI). For each candidate, in the ferry-bench-* namespaces of lib.sh: RSS (VmRSS, and its anon/file
# parts) 5 s after "ready", iperf3 TCP 1 and 4 streams and UDP 64-byte at UDP_RATE (SECS each), RSS right after the
# load and again 10 s later (idle after load), and the JVM's thread count.
#
# Usage: bench/dataplane/mem.sh 'LABEL|ENV|JVM OPTS' ...
#   LABEL     a name for the table
#   ENV       space-separated VAR=value put in ferry's environment (e.g. MALLOC_ARENA_MAX=2), or empty
#   JVM OPTS  FERRY_JAVA_OPTS for the launcher; the word "launcher" leaves it unset (the launcher's defaults)
# e.g. bench/dataplane/mem.sh 'defaults||launcher' 'arena2|MALLOC_ARENA_MAX=2|-XX:+UseSerialGC -Xms16m -Xmx256m'
# env: SECS=5 UDP_RATE=200k UDP_SENDERS=4 IDLE_WAIT=60 IDLE_LOAD=1.0
set -euo pipefail
SECS=${SECS:-5}
UDP_RATE=${UDP_RATE:-200k}
IDLE_WAIT=${IDLE_WAIT:-60}
IDLE_LOAD=${IDLE_LOAD:-1.0}
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
[ $# -gt 0 ] || { sed -n '2,13p' "$0" >&2; exit 2; }

rss_parts() { # -> "rss anon file" in MiB
  awk '/^VmRSS/{r=$2} /^RssAnon/{a=$2} /^RssFile/{f=$2} /^RssShmem/{f+=$2} END{printf "%d %d %d\n", r/1024, a/1024, f/1024}' /proc/$xlat_pid/status
}

topology
for cand in "$@"; do
  IFS='|' read -r label envs opts <<<"$cand"
  echo "== $label: env [$envs] opts [$opts]" >&2
  if [ "$opts" = launcher ]; then FERRY_ENV=(-u FERRY_JAVA_OPTS); else FERRY_ENV=("FERRY_JAVA_OPTS=$opts"); fi
  for e in $envs; do FERRY_ENV+=("$e"); done
  wait_idle
  start_mode ferry-csum
  sleep 5
  read -r r0 a0 f0 < <(rss_parts)
  thr=$(awk '/^Threads/{print $2}' /proc/$xlat_pid/status)
  read -r g1 _ < <(tcp_run 1)
  read -r g4 _ < <(tcp_run 4)
  read -r pps loss < <(udp_run "$UDP_RATE")
  read -r r1 a1 f1 < <(rss_parts)
  sleep 10
  read -r r2 a2 f2 < <(rss_parts)
  stop_mode ferry-csum 2>/dev/null
  printf "%-14s %5s %4s/%-4s %5s %4s/%-4s %5s %4s/%-4s %7s %8s %8s %12s %6s  %s\n" "$label" \
    "$r0" "$a0" "$f0" "$r1" "$a1" "$f1" "$r2" "$a2" "$f2" "$thr" "$g1" "$g4" "$pps/$loss%" "$(cut -d' ' -f1 /proc/loadavg)" \
      "$envs $opts" >>"$work/rows"
done
echo
printf "%-14s %5s %9s %5s %9s %5s %9s %7s %8s %8s %12s %6s  %s\n" candidate "RSS0" "anon/file" "RSSld" "anon/file" \
  "RSSid" "anon/file" threads "TCPx1" "TCPx4" "UDP@$UDP_RATE" load "settings"
cat "$work/rows"
echo "(MiB; RSS0: 5 s after ready; RSSld: right after the load; RSSid: 10 s later. Gbit/s. load: 1-min average)"
