#!/usr/bin/env bash
# NAT64 established-flow lookups vs SIIT in thread CPU time (robust to a shared, busy machine): 10k/100k/1M sessions,
# in flow order and shuffled, one packet at a time and in batches of 32 (the translator's batch API, flows looked up
# ahead), and (informative: skewed, as real traffic is) a Zipf-distributed flow mix in batches, interleaved with the
# SIIT reference in one JVM, which runs one packet at a time ("x SIIT") and through the very batch harness of the
# NAT64 batch cases ("x SIIT batch": 32 buffers, the same copies, the batch API).
# Usage: bench/nat64-cputime.sh [rounds] [packets] [case name filter]
# JVM options: what `ferry run` ships (scripts/jdk.sh ferry_java_opts run: FERRY_RUN_JAVA_OPTS, or FERRY_JAVA_OPTS
# when set), so the figures are the shipped configuration's, with -Xmx3g (the four tables' pool4 owner words alone
# are 4 x 63 MiB) and then FERRY_BENCH_JVM_OPTS, e.g. FERRY_BENCH_JVM_OPTS=-XX:-UseTransparentHugePages (no THP)
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/classpath.sh"
ferry_bench_classpath -o
ferry_java_env run
# shellcheck disable=SC2086
exec "$JAVA_HOME/bin/java" $(ferry_java_opts run) -Xmx3g ${FERRY_BENCH_JVM_OPTS:-} --enable-native-access=ALL-UNNAMED -cp "$cp" ferry.bench.Nat64LookupCpu "$@"
