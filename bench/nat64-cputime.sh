#!/usr/bin/env bash
# NAT64 established-flow lookups vs SIIT in thread CPU time (robust to a shared, busy machine): 10k/100k/1M sessions,
# in flow order and shuffled, one packet at a time and in batches of 32 (the translator's batch API, flows looked up
# ahead), interleaved with the SIIT reference in one JVM.
# Usage: bench/nat64-cputime.sh [rounds] [packets] [case name filter]
# Extra JVM options: FERRY_BENCH_JVM_OPTS, e.g. FERRY_BENCH_JVM_OPTS=-XX:+UseTransparentHugePages (THP, madvise mode)
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
. "$here/scripts/jdk.sh"
ferry_find_jdk || exit 1
cd "$here"
mvn -q -B -o -DskipTests test-compile dependency:build-classpath -Dmdep.outputFile=target/test.classpath -Dmdep.includeScope=test >&2
cp="target/test-classes:target/classes:$(cat target/test.classpath)"
# shellcheck disable=SC2086
exec "$JAVA_HOME/bin/java" -Xmx3g -XX:+UseSerialGC ${FERRY_BENCH_JVM_OPTS:-} --enable-native-access=ALL-UNNAMED -cp "$cp" ferry.bench.Nat64LookupCpu "$@"
