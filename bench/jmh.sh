#!/usr/bin/env bash
# In-memory translation benchmark (JMH, one thread, with the GC profiler for bytes allocated per packet).
# Usage: bench/jmh.sh [JMH options...]   e.g. bench/jmh.sh -f 1 -wi 3 -i 5 -p packet=udp64_6to4
# Prints JMH's table: ops/s is packets/s per core; gc.alloc.rate.norm is bytes allocated per packet.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/classpath.sh"
ferry_bench_classpath
if [ $# -eq 0 ]; then set -- -f 1 -wi 3 -w 2s -i 5 -r 2s; fi
exec "$JAVA_HOME/bin/java" --enable-native-access=ALL-UNNAMED -cp "$cp" org.openjdk.jmh.Main \
  'ferry.bench.TranslateBenchmark' -prof gc "$@"
