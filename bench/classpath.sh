# Sourced by the JVM benchmark scripts (bench/jmh.sh, bench/nat64-*.sh). ferry_bench_classpath [extra mvn flags]:
# finds JDK 25 (scripts/jdk.sh: a clear message and exit 1 when it is missing), moves to the project root, compiles
# main and test classes, and sets $cp to the test class path (test and main classes, then test-scope dependencies).
ferry_bench_classpath() {
  local here
  here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
  . "$here/scripts/jdk.sh"
  ferry_find_jdk || exit 1
  cd "$here"
  mvn -q -B "$@" -DskipTests test-compile dependency:build-classpath -Dmdep.outputFile=target/test.classpath \
    -Dmdep.includeScope=test >&2
  cp="target/test-classes:target/classes:$(cat target/test.classpath)"
}
