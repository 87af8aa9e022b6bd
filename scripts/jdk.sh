# Sourced by ./ferry, scripts/test and .ci/run: finds a JDK 25+ and exports JAVA_HOME and PATH.
# Order: $JAVA_HOME if it is 25 or newer, else /usr/lib/jvm/*25*, else a clear error.
ferry_java_major() {
  "$1/bin/java" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p' | head -n1
}
ferry_find_jdk() {
  local cand major
  for cand in "${JAVA_HOME:-}" /usr/lib/jvm/*25* /usr/lib/jvm/*2[6-9]*; do
    [ -n "$cand" ] && [ -x "$cand/bin/java" ] && [ -x "$cand/bin/javac" ] || continue
    major=$(ferry_java_major "$cand")
    case "$major" in ''|*[!0-9]*) continue ;; esac
    if [ "$major" -ge 25 ]; then
      export JAVA_HOME="$cand"
      export PATH="$JAVA_HOME/bin:$PATH"
      return 0
    fi
  done
  echo "ferry: no JDK 25 found. Set JAVA_HOME to a JDK 25 or newer, or install one under /usr/lib/jvm" \
       "(e.g. Temurin 25: /usr/lib/jvm/temurin-25-jdk-amd64). JAVA_HOME was '${JAVA_HOME:-unset}'." >&2
  return 1
}
# Maven 3.8 touches sun.misc.Unsafe; keep JDK 25 quiet about it.
export MAVEN_OPTS="${MAVEN_OPTS:-} --sun-misc-unsafe-memory-access=allow"

# Maven builds ferry. When it is missing: installed from Debian's packages if we are root, else a clear error.
ferry_need_maven() {
  command -v mvn >/dev/null && return 0
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "ferry: Maven is missing; installing Debian's maven package (apt-get install maven) ..." >&2
    DEBIAN_FRONTEND=noninteractive apt-get update -q >&2 && \
      DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends maven >&2 && return 0
  fi
  echo "ferry: Maven (mvn) is needed to build ferry: apt-get install maven" >&2
  return 1
}

# JVM options for ferry's commands (./ferry and the benchmarks). FERRY_JAVA_OPTS replaces them when set (also
# when set to empty). Serial GC and a 16 MiB initial heap keep a long-running server's resident memory near what
# it actually uses (measured with bench/dns64/run.sh: ferry dns64 ~90 MB after full load, against ~140-225 MB with
# the JVM's defaults); 256 MiB bounds the heap (the dns64 cache holds at most cache-size answers; raise -Xmx for
# a cache-size far above 10 000).
FERRY_DEFAULT_JAVA_OPTS="-XX:+UseSerialGC -Xms16m -Xmx256m"
# The data plane (`ferry run`, `ferry clat`: a long-running daemon whose packet path allocates nothing) gets a
# leaner set, measured with bench/dataplane/mem.sh (README there): C2 only (-XX:-TieredCompilation: no C1 code and
# profiles in the code cache; the loop is compiled by C2 after ~10 000 packets), a 4 MiB initial heap (the live set
# after start is ~6 MiB), malloc'd JIT memory handed back to the OS every 5 s (-XX:TrimNativeHeapInterval), and
# ferry_java_env's MALLOC_ARENA_MAX=2. Resident memory (SIIT, 2 queues, vnet header): ~62 MiB idle and after load,
# steady over 10 minutes of load, against ~80 MiB idle and ~94 MiB after load with the defaults above; TCP and UDP
# throughput no lower. C1 only (-XX:TieredStopAtLevel=1) saves as much memory but lost more small UDP packets.
# Transparent huge pages for the heap (-XX:+UseTransparentHugePages: the JVM madvises its heap, which is all it
# takes when /sys/kernel/mm/transparent_hugepage/enabled is "madvise" or "always"; a no-op when "never"): NAT64's
# tables are tens of MB at a million sessions, and 2 MiB pages spare a lookup most of its TLB misses (1M sessions,
# bench/nat64-cputime.sh: 6-18 % less CPU per packet shuffled, in order within the noise; src/test/java/ferry/nat64/
# README.md). Idle resident memory (a ferry-* namespace, 2 queues, VmRSS 20 s after start, 13:08 UTC): SIIT 61.5 ->
# 64.0 MiB, NAT64 with the default max-sessions 107.6 -> 108.8 MiB.
FERRY_RUN_JAVA_OPTS="-XX:+UseSerialGC -Xms4m -Xmx256m -XX:-TieredCompilation -XX:TrimNativeHeapInterval=5000 -XX:+UseTransparentHugePages"
# ferry_java_opts [COMMAND]: the JVM options for one ferry command (its first argument)
ferry_java_opts() {
  case "${1:-}" in
    run|clat) echo "${FERRY_JAVA_OPTS-$FERRY_RUN_JAVA_OPTS}" ;;
    *) echo "${FERRY_JAVA_OPTS-$FERRY_DEFAULT_JAVA_OPTS}" ;;
  esac
}
# ferry_java_env [COMMAND]: exports what the data plane's process wants from glibc: at most two malloc arenas
# (instead of 8 per core, each holding freed native memory) unless MALLOC_ARENA_MAX is already set.
ferry_java_env() {
  case "${1:-}" in run|clat) export MALLOC_ARENA_MAX="${MALLOC_ARENA_MAX:-2}" ;; esac
}
