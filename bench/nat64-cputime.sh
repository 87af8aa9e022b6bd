#!/usr/bin/env bash
# NAT64 established-flow lookups vs SIIT in thread CPU time (robust to a shared, busy machine): 10k/100k/1M sessions,
# in flow order and shuffled, one packet at a time and in batches of 32 (the translator's batch API, flows looked up
# ahead), interleaved with the SIIT reference in one JVM.
# Usage: bench/nat64-cputime.sh [rounds] [packets] [case name filter]
# Extra JVM options: FERRY_BENCH_JVM_OPTS, e.g. FERRY_BENCH_JVM_OPTS=-XX:+UseTransparentHugePages (THP, madvise mode)
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/classpath.sh"
ferry_bench_classpath -o
# shellcheck disable=SC2086
exec "$JAVA_HOME/bin/java" -Xmx3g -XX:+UseSerialGC ${FERRY_BENCH_JVM_OPTS:-} --enable-native-access=ALL-UNNAMED -cp "$cp" ferry.bench.Nat64LookupCpu "$@"
