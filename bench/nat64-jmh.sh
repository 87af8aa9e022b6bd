#!/usr/bin/env bash
# Stateful NAT64 benchmark (JMH, with the GC profiler for bytes allocated per packet): established-flow lookups
# at 10k/100k/1M sessions (in flow order and in a shuffled order), expiry with nothing due, steady-state session
# creation, and established flows under a flood of new ones, plus the SIIT reference (TranslateBenchmark,
# UDP 64 B 6->4; translateBatch: the same through the NAT64 batch cases' harness) in the same run, since the ratio to
# SIIT is what counts on a shared machine.
# Usage: bench/nat64-jmh.sh [JMH options...]
#   e.g. bench/nat64-jmh.sh -p sessions=1000000 'Nat64Benchmark.established' 'TranslateBenchmark'
# Memory per session: bench/nat64-memory.sh
# The forked JVMs get `ferry run`'s options (scripts/jdk.sh ferry_java_opts run: what ships, transparent huge pages
# included) with -Xmx2g, then FERRY_BENCH_JVM_OPTS.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/classpath.sh"
ferry_bench_classpath -o
ferry_java_env run
if [ $# -eq 0 ]; then set -- -f 1 -wi 2 -w 2s -i 3 -r 2s 'ferry.bench.Nat64Benchmark' 'ferry.bench.TranslateBenchmark'; fi
exec "$JAVA_HOME/bin/java" --enable-native-access=ALL-UNNAMED -cp "$cp" org.openjdk.jmh.Main \
  -jvmArgs "$(ferry_java_opts run) -Xmx2g ${FERRY_BENCH_JVM_OPTS:-}" -p packet=udp64_6to4 -prof gc "$@"
