#!/usr/bin/env bash
# NAT64 tables: bytes per session, pool4 size, fill/create rate and expiry cost at 10k, 100k and 1M sessions.
# Usage: bench/nat64-memory.sh [N...]
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/classpath.sh"
ferry_bench_classpath -o
exec "$JAVA_HOME/bin/java" -Xmx3g -XX:+UseSerialGC --enable-native-access=ALL-UNNAMED -cp "$cp" ferry.bench.Nat64Memory "$@"
