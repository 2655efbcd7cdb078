#!/usr/bin/env bash
# The README's test command: build everything, run unit tests (Surefire) and integration tests
# (Failsafe: a real standalone Spark cluster + HDFS started from Maven jars), check formatting and
# dependency pins. Needs only Java 17 and Maven; the first run downloads ~1 GB of jars from Central.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=deploy/native-env.sh
source deploy/native-env.sh   # OPENBLAS_CORETYPE for this CPU (the tests' JVMs inherit it)
java_major=$(java -XshowSettings:properties -version 2>&1 | awk -F' = ' '/java.specification.version/{print $2}')
if [ "$java_major" != "17" ]; then
  for j in /usr/lib/jvm/java-17-openjdk-amd64 /usr/lib/jvm/temurin-17-jdk-amd64; do
    if [ -x "$j/bin/java" ]; then export JAVA_HOME=$j PATH=$j/bin:$PATH; break; fi
  done
fi
exec mvn -B -ntp verify "$@"
