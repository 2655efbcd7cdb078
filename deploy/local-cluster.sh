#!/usr/bin/env bash
# A real Spark standalone cluster + HDFS on this machine (NameNode, DataNode, Master, N Workers as
# separate JVMs, from Maven Central jars), or with --yarn a YARN cluster (ResourceManager, N
# NodeManagers) + HDFS, run by the same launcher as the integration tests.
set -euo pipefail

usage() {
  cat <<'USAGE'
usage: deploy/local-cluster.sh start  [--yarn] [--workers N] [--worker-cores N] [--worker-memory 2g] [--timeout-seconds S]
                                      [--finished-app-ttl-seconds S]  a worker deletes a finished
                                      application's work dir (jar copy, executor logs) after S
                                      seconds (default 120)
                                      --yarn: a YARN ResourceManager + N NodeManagers instead of a Spark
                                      master + N workers; submit with
                                      HADOOP_CONF_DIR=<state>/conf/spark deploy/spark-submit.sh --master yarn ...
       deploy/local-cluster.sh status                 exit 0 when HDFS and all workers are up
       deploy/local-cluster.sh stop
       deploy/local-cluster.sh submit [--deploy-mode client|cluster] [--driver-memory 1g]
                                      [--timeout-seconds S (default: a day)] [--conf K=V]...
                                      --class MAIN [APP_ARGS...]      runs MAIN from the sparknmt app jar
       deploy/local-cluster.sh hdfs   [--timeout-seconds S] FSSHELL_ARGS...   e.g. hdfs -ls /
                                      (= hdfs dfs ...; no time limit unless given)
       deploy/local-cluster.sh restart-datanode [--down-seconds S]   stops the DataNode for S
                                      seconds (default 30), starts it, waits for its block report

Builds what is missing first: the Spark and Hadoop homes, the launcher, the application jar.
In cluster deploy mode the job goes through the master's REST gateway and the exit code is 0 only
if the driver FINISHED. Scheme-less paths in job arguments resolve to the cluster's HDFS.

Environment:
  SPARKNMT_CLUSTER_DIR  state, logs and data of the cluster (default: <repo>/local-cluster-state)
  SPARKNMT_APP_JAR      application jar (default: <repo>/spark-jobs/target/sparknmt-app.jar)

Example:
  deploy/local-cluster.sh start
  deploy/local-cluster.sh submit --class org.sparknmt.jobs.DoctorJob --path /tmp --path file:///tmp
  deploy/local-cluster.sh stop
USAGE
}

ROOT=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=deploy/native-env.sh
source "$ROOT/deploy/native-env.sh"   # OPENBLAS_CORETYPE for this CPU
STATE=${SPARKNMT_CLUSTER_DIR:-$ROOT/local-cluster-state}
APP_JAR=${SPARKNMT_APP_JAR:-$ROOT/spark-jobs/target/sparknmt-app.jar}
SPARK_HOME_DIR=$ROOT/local-cluster/spark-home/target/spark-home
HADOOP_HOME_DIR=$ROOT/local-cluster/hadoop-home/target/hadoop-home
LAUNCHER_DIR=$ROOT/local-cluster/launcher/target

[ $# -gt 0 ] || { usage >&2; exit 2; }
case "$1" in -h|--help|help) usage; exit 0 ;; esac
command=$1
shift

launcher_jar() { ls "$LAUNCHER_DIR"/sparknmt-local-cluster-launcher-*.jar 2>/dev/null | head -1; }

# Builds the modules whose output is missing (with the modules they need).
build_missing() {
  local modules=()
  compgen -G "$SPARK_HOME_DIR/jars/*.jar" >/dev/null || modules+=(local-cluster/spark-home)
  [ -d "$HADOOP_HOME_DIR/webapps/hdfs" ] || modules+=(local-cluster/hadoop-home)
  [ -n "$(launcher_jar)" ] || modules+=(local-cluster/launcher)
  if [ "$command" = submit ] && [ -z "${SPARKNMT_APP_JAR:-}" ] && [ ! -f "$APP_JAR" ]; then
    modules+=(spark-jobs)
  fi
  if [ ${#modules[@]} -gt 0 ]; then
    echo "building ${modules[*]} ..." >&2
    (cd "$ROOT" && mvn -B -q -DskipTests -Dspotless.check.skip=true package -pl "$(IFS=,; echo "${modules[*]}")" -am)
  fi
}

build_missing
launch=(java -Dsparknmt.spark.home="$SPARK_HOME_DIR" -Dsparknmt.hadoop.home="$HADOOP_HOME_DIR"
        -cp "$(launcher_jar)" org.sparknmt.cluster.LocalClusterCli)

case "$command" in
  start|status|stop|hdfs|restart-datanode)
    exec "${launch[@]}" "$command" --work-dir "$STATE" "$@" ;;
  submit)
    [ -f "$APP_JAR" ] || { echo "error: application jar $APP_JAR does not exist" >&2; exit 2; }
    opts=()
    while [ $# -gt 0 ]; do          # launcher options up to and including --class MAIN
      opts+=("$1")
      if [ "$1" = --class ]; then
        [ $# -ge 2 ] || { echo "error: --class needs a value" >&2; exit 2; }
        opts+=("$2"); shift 2; break
      fi
      shift
    done
    java_options=$(java -cp "$APP_JAR" org.sparknmt.jobs.JvmOptions)
    exec "${launch[@]}" submit --work-dir "$STATE" --java-options "$java_options" "${opts[@]}" "$APP_JAR" "$@" ;;
  *)
    echo "error: unknown command '$command'" >&2; usage >&2; exit 2 ;;
esac
