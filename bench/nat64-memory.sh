#!/usr/bin/env bash
# NAT64 tables: bytes per session, pool4 size, fill/create rate and expiry cost at 10k, 100k and 1M sessions.
# Usage: bench/nat64-memory.sh [N...]
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
. "$here/scripts/jdk.sh"
ferry_find_jdk || exit 1
cd "$here"
mvn -q -B -o -DskipTests test-compile dependency:build-classpath -Dmdep.outputFile=target/test.classpath -Dmdep.includeScope=test >&2
cp="target/test-classes:target/classes:$(cat target/test.classpath)"
exec "$JAVA_HOME/bin/java" -Xmx3g -XX:+UseSerialGC --enable-native-access=ALL-UNNAMED -cp "$cp" ferry.bench.Nat64Memory "$@"
