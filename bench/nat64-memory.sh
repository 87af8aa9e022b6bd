#!/usr/bin/env bash
# NAT64 tables: bytes per session, pool4 size, fill/create rate and expiry cost at 10k, 100k and 1M sessions.
# Usage: bench/nat64-memory.sh [N...]
# JVM options: `ferry run`'s (scripts/jdk.sh ferry_java_opts run) with -Xmx3g, then FERRY_BENCH_JVM_OPTS.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/classpath.sh"
ferry_bench_classpath -o
ferry_java_env run
# shellcheck disable=SC2086
exec "$JAVA_HOME/bin/java" $(ferry_java_opts run) -Xmx3g ${FERRY_BENCH_JVM_OPTS:-} --enable-native-access=ALL-UNNAMED -cp "$cp" ferry.bench.Nat64Memory "$@"
