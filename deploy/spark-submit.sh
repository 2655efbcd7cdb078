#!/usr/bin/env bash
# spark-submit for sparknmt jobs on a real cluster: adds the Java options every sparknmt JVM needs
# (taken from the application jar, so they never drift from the build) and Kryo with ND4J's
# registrator; in standalone cluster deploy mode it waits for the driver and fails if it failed.
set -euo pipefail

usage() {
  cat <<'USAGE'
usage: deploy/spark-submit.sh [SPARK_SUBMIT_OPTIONS...] --class MAIN [APP_ARGS...]

Runs MAIN (e.g. org.sparknmt.jobs.DoctorJob) from the sparknmt application jar with
  spark.driver.extraJavaOptions / spark.executor.extraJavaOptions = the build's Java options
  (java -cp sparknmt-app.jar org.sparknmt.jobs.JvmOptions), spark.serializer = Kryo,
  spark.kryo.registrator = org.sparknmt.jobs.kryo.NdArrayKryoRegistrator (bulk copies of ND4J arrays).
Uses $SPARK_HOME/bin/spark-submit when SPARK_HOME is set, otherwise SparkSubmit from the Spark home
this repository assembles (local-cluster/spark-home/target/spark-home).

YARN (--master yarn): HADOOP_CONF_DIR (or YARN_CONF_DIR) must name the cluster's Hadoop configuration
(yarn-site.xml, core-site.xml, hdfs-site.xml); in cluster deploy mode spark-submit waits for the
application and exits non-zero unless YARN reports it SUCCEEDED.

Standalone cluster deploy mode (--master spark://host:6066 --deploy-mode cluster, the master's REST
gateway): spark-submit itself exits 0 even when the driver fails, so this script polls
http://host:6066/v1/submissions/status/<driver> and exits 0 only if the driver FINISHED.
The application jar must then be readable by the workers (e.g. SPARKNMT_APP_RESOURCE=hdfs:///apps/sparknmt-app.jar).

Kerberos: --principal P --keytab FILE (or --conf spark.kerberos.principal=P --conf
spark.kerberos.keytab=FILE), given before --class, reach the job, which logs in as P from FILE
before it reads or writes anything (on every master: spark-submit itself does not for spark://).
The cluster's Hadoop client configuration (core-site.xml, hdfs-site.xml with
hadoop.security.authentication=kerberos) comes from HADOOP_CONF_DIR.

Environment:
  SPARKNMT_APP_JAR       local application jar (default: <repo>/spark-jobs/target/sparknmt-app.jar)
  SPARKNMT_APP_RESOURCE  what to submit as the application resource (default: SPARKNMT_APP_JAR)
  SPARK_HOME             a Spark 3.5 distribution (optional)
  HADOOP_CONF_DIR        the cluster's Hadoop client configuration (needed for --master yarn; on
                         the driver's class path, as bin/spark-submit puts it)

Example:
  deploy/spark-submit.sh --master spark://master:7077 --class org.sparknmt.jobs.DoctorJob --path hdfs:///tmp
USAGE
}

[ $# -gt 0 ] || { usage >&2; exit 2; }
case "$1" in -h|--help) usage; exit 0 ;; esac

ROOT=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=deploy/native-env.sh
source "$ROOT/deploy/native-env.sh"   # OPENBLAS_CORETYPE for this CPU
APP_JAR=${SPARKNMT_APP_JAR:-$ROOT/spark-jobs/target/sparknmt-app.jar}
APP_RESOURCE=${SPARKNMT_APP_RESOURCE:-$APP_JAR}
[ -f "$APP_JAR" ] || { echo "error: application jar $APP_JAR not found (mvn -pl spark-jobs -am package)" >&2; exit 2; }
JAVA_OPTIONS=$(java -cp "$APP_JAR" org.sparknmt.jobs.JvmOptions)

# spark-submit options up to and including --class MAIN; the rest are the job's arguments
opts=() master="" deploy_mode=client driver_memory=1g keytab=""
while [ $# -gt 0 ]; do
  case "$1" in
    --master) master=$2 ;;
    --deploy-mode) deploy_mode=$2 ;;
    --driver-memory) driver_memory=$2 ;;
    --keytab) keytab=$2 ;;
    --conf) case "${2:-}" in spark.kerberos.keytab=*) keytab=${2#*=} ;; esac ;;
  esac
  opts+=("$1")
  if [ "$1" = --class ]; then
    [ $# -ge 2 ] || { echo "error: --class needs a value" >&2; exit 2; }
    opts+=("$2"); shift 2; break
  fi
  shift
done
[[ " ${opts[*]} " == *" --class "* ]] || { echo "error: --class MAIN is required" >&2; usage >&2; exit 2; }
# in client mode the driver runs here and reads the keytab from this host (in cluster mode, from
# the host the driver is started on: the job checks it there)
if [ -n "$keytab" ] && [ "$deploy_mode" = client ] && [[ "$keytab" != local:* ]] && [ ! -r "${keytab#file:}" ]; then
  echo "error: Kerberos keytab ${keytab#file:} (--keytab / spark.kerberos.keytab) does not exist or is not readable" >&2
  exit 2
fi

conf=(--conf "spark.driver.extraJavaOptions=$JAVA_OPTIONS"
      --conf "spark.executor.extraJavaOptions=$JAVA_OPTIONS"
      --conf spark.serializer=org.apache.spark.serializer.KryoSerializer
      --conf spark.kryo.registrator=org.sparknmt.jobs.kryo.NdArrayKryoRegistrator)
rest=false
if [ "$deploy_mode" = cluster ] && [[ "$master" == spark://* ]]; then
  rest=true
  conf+=(--conf spark.master.rest.enabled=true)
fi

if [ -n "${SPARK_HOME:-}" ]; then
  submit=("$SPARK_HOME/bin/spark-submit")
else
  SPARK_HOME=$ROOT/local-cluster/spark-home/target/spark-home
  compgen -G "$SPARK_HOME/jars/*.jar" >/dev/null ||
    { echo "error: no SPARK_HOME and no $SPARK_HOME (mvn -pl local-cluster/spark-home package)" >&2; exit 2; }
  scala=$(ls "$SPARK_HOME/jars" | sed -n 's/^spark-core_\([0-9.]*\)-.*/\1/p' | head -1)
  export SPARK_HOME SPARK_SCALA_VERSION=$scala
  # what bin/spark-submit runs: in client mode this JVM is the driver. Its class path, as Spark's
  # launcher builds it: the conf dir, the jars, then HADOOP_CONF_DIR and YARN_CONF_DIR (where a
  # YARN client finds yarn-site.xml and the cluster's core-site.xml/hdfs-site.xml)
  classpath="${SPARK_CONF_DIR:-$SPARK_HOME/conf}:$SPARK_HOME/jars/*"
  for dir in "${HADOOP_CONF_DIR:-}" "${YARN_CONF_DIR:-}"; do
    [ -z "$dir" ] || classpath="$classpath:$dir"
  done
  # shellcheck disable=SC2206
  submit=(java -cp "$classpath" -Xmx"$driver_memory" $JAVA_OPTIONS org.apache.spark.deploy.SparkSubmit)
fi

if ! $rest; then
  exec "${submit[@]}" "${conf[@]}" "${opts[@]}" "$APP_RESOURCE" "$@"
fi

log=$(mktemp -t sparknmt-submit.XXXXXX)
trap 'rm -f "$log"' EXIT
"${submit[@]}" "${conf[@]}" "${opts[@]}" "$APP_RESOURCE" "$@" 2>&1 | tee "$log"
driver=$(grep -o 'driver-[0-9]\{14\}-[0-9]\{4,\}' "$log" | head -1 || true)
[ -n "$driver" ] || { echo "error: the submission to $master did not create a driver (see above)" >&2; exit 1; }
status_url="http://${master#spark://}/v1/submissions/status/$driver"
failures=0
while true; do
  if body=$(curl -fsS "$status_url" 2>/dev/null); then
    failures=0
    state=$(sed -n 's/.*"driverState" *: *"\([A-Z_]*\)".*/\1/p' <<<"$body")
    case "$state" in
      FINISHED) echo "driver $driver FINISHED" >&2; exit 0 ;;
      FAILED|KILLED|ERROR) echo "error: driver $driver $state (its logs: <worker work dir>/$driver/)" >&2; exit 1 ;;
    esac
  elif [ $((failures += 1)) -ge 20 ]; then
    echo "error: cannot read the state of $driver from $status_url" >&2; exit 1
  fi
  sleep 3
done
