# shellcheck shell=bash
# What bench/dns64/run.sh and bench/dns64/miss-probe.sh share: their set-up (JDK, temporary directory, clean-up, build),
# the unbound configuration both measure ferry against,
# and the cached query mixes. Sourced, not run.

# unbound_conf DIR PORT AUTH_PORT THREADS: prints unbound's configuration: its dns64 module (64:ff9b::/96) before
# the iterator, everything forwarded to the test upstream on 127.0.0.1:AUTH_PORT, prefetch on (as ferry's default),
# 16m + 32m of cache, listening on 127.0.0.1:PORT with THREADS threads (SO_REUSEPORT), in the foreground.
unbound_conf() {
  cat <<U
server:
  interface: 127.0.0.1
  port: $2
  num-threads: $4
  so-reuseport: yes
  do-daemonize: no
  username: ""
  chroot: ""
  directory: "$1"
  pidfile: ""
  use-syslog: no
  logfile: ""
  verbosity: 0
  do-ip6: no
  do-not-query-localhost: no
  access-control: 127.0.0.0/8 allow
  module-config: "dns64 iterator"
  dns64-prefix: 64:ff9b::/96
  qname-minimisation: no
  prefetch: yes
  msg-cache-size: 16m
  rrset-cache-size: 32m
  auto-trust-anchor-file: ""
forward-zone:
  name: "."
  forward-addr: 127.0.0.1@$3
U
}

# write_mixes DIR: the query mixes, all cacheable (TTL >= 30 s) names of the tests' upstream (TestAuthority):
# synth.txt (AAAA synthesized from A, CNAME chains and an all-excluded ::ffff: answer included), real.txt (real AAAA
# records), a.txt (plain A) and all.txt (the three together), one "NAME TYPE" per line as dnsperf reads them.
write_mixes() {
  cat >"$1/synth.txt" <<'Q'
a-only.dns64.example AAAA
cname.dns64.example AAAA
chain.dns64.example AAAA
mapped.dns64.example AAAA
target.other.example AAAA
host.other.example AAAA
Q
  cat >"$1/real.txt" <<'Q'
aaaa-only.dns64.example AAAA
both.dns64.example AAAA
mixed.dns64.example AAAA
v6.other.example AAAA
cross-aaaa.dns64.example AAAA
Q
  cat >"$1/a.txt" <<'Q'
a-only.dns64.example A
both.dns64.example A
mixed.dns64.example A
target.other.example A
host.other.example A
Q
  cat "$1/synth.txt" "$1/real.txt" "$1/a.txt" >"$1/all.txt"
}

# bench_start NAME: finds JDK 25 (scripts/jdk.sh, sourced before), makes $tmp (/tmp/ferry-NAME.XXXXXX) and the array
# $pids, and on exit kills every process in $pids (what the script started) and removes $tmp.
bench_start() {
  ferry_find_jdk || exit 1
  tmp=$(mktemp -d "/tmp/ferry-$1.XXXXXX")
  pids=()
  trap bench_cleanup EXIT
}

bench_cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$tmp"
}

# bench_build: compiles ferry and its test classes (offline first) and sets CP (classes, test classes and
# dependencies: the test upstream's class path) and FCP (ferry's: FERRY_CLASSES, another build's target/classes, or
# this one's, with the dependencies).
bench_build() {
  (mvn -q -B -o -DskipTests test-compile dependency:build-classpath -Dmdep.outputFile="$tmp/cp.txt" >/dev/null 2>&1 \
    || mvn -q -B -DskipTests test-compile dependency:build-classpath -Dmdep.outputFile="$tmp/cp.txt" >&2)
  CP="target/classes:target/test-classes:$(cat "$tmp/cp.txt")"
  FCP="${FERRY_CLASSES:-target/classes}:$(cat "$tmp/cp.txt")"
}
