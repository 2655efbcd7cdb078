#!/usr/bin/env bash
# The README's main command: the whole pipeline (prepare -> BPE -> shard -> train -> evaluate ->
# sample translations) on the bundled Bible corpus, in Spark local mode on the local filesystem.
#   deploy/run-pipeline.sh                 Spark local mode, files under runs/bible
#   deploy/run-pipeline.sh --cluster       the same job submitted with spark-submit to a local
#                                          standalone Spark cluster + HDFS (started if it is not
#                                          running, and left running so that the results on HDFS
#                                          can be read; deploy/local-cluster.sh stop)
#   --principal P --keytab FILE            log in to Kerberos as P from FILE before reading or
#                                          writing (spark.kerberos.principal/keytab); the cluster's
#                                          Hadoop configuration comes from HADOOP_CONF_DIR
# Extra arguments are passed to the job, e.g. --set sparknmt.train.epochs=1.
# Re-running continues where it stopped: finished steps are reused, training resumes from its
# newest checkpoint. Delete the work directory (runs/bible) to start over.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=deploy/native-env.sh
source "$ROOT/deploy/native-env.sh"   # OPENBLAS_CORETYPE for this CPU
cd "$ROOT"
APP_JAR=$ROOT/spark-jobs/target/sparknmt-app.jar
SPARK_JARS=$ROOT/local-cluster/spark-home/target/spark-home/jars
DATA=$ROOT/data/bible-en-es

mode=local
if [ "${1:-}" = "--cluster" ]; then mode=cluster; shift; fi
if [ "${1:-}" = "-h" ] || [ "${1:-}" = "--help" ]; then sed -n 2,14p "$0"; exit 0; fi

# --principal/--keytab become spark.kerberos.* (what spark-submit makes of them); the rest go to the job
kerberos=() job_args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --principal|--keytab)
      [ $# -ge 2 ] || { echo "error: $1 needs a value" >&2; exit 2; }
      kerberos+=("spark.kerberos.${1#--}=$2"); shift 2 ;;
    *) job_args+=("$1"); shift ;;
  esac
done
set -- ${job_args[@]+"${job_args[@]}"}

if [ ! -f "$APP_JAR" ] || ! compgen -G "$SPARK_JARS/*.jar" >/dev/null; then
  echo "[run-pipeline] building (first run: downloads ~1 GB from Maven Central) ..." >&2
  mvn -B -q -ntp -DskipTests install
fi

corpus_args=(--source "$DATA/train.en.gz" --target "$DATA/train.es.gz"
  --dev-source "$DATA/dev.en.gz" --dev-target "$DATA/dev.es.gz"
  --test-source "$DATA/test.en.gz" --test-target "$DATA/test.es.gz")

if [ "$mode" = local ]; then
  WORK=${SPARKNMT_WORK:-$ROOT/runs/bible}
  JAVA_OPTS=$(java -cp "$APP_JAR" org.sparknmt.jobs.JvmOptions)
  # local[2]: two training workers (Spark tasks in this JVM), one ND4J thread each (conf/bible.conf).
  # OMP_WAIT_POLICY=PASSIVE: idle OpenMP threads sleep instead of spinning against the other worker.
  export OMP_NUM_THREADS=${OMP_NUM_THREADS:-1} OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-PASSIVE} SPARK_LOCAL_IP=127.0.0.1
  # shellcheck disable=SC2086
  # ND4J allocates off-heap; without a limit the JVM grew until the OS swapped (seen: 23 GB RSS).
  exec java -Xmx4g -Dorg.bytedeco.javacpp.maxbytes=4G -Dorg.bytedeco.javacpp.maxphysicalbytes=10G \
    $JAVA_OPTS -Dlog4j2.configurationFile="$ROOT/conf/log4j2.properties" \
    ${kerberos[@]+"${kerberos[@]/#/-D}"} \
    -cp "${HADOOP_CONF_DIR:+$HADOOP_CONF_DIR:}$APP_JAR:$SPARK_JARS/*" org.sparknmt.jobs.PipelineJob \
    --conf "$ROOT/conf/bible.conf" "${corpus_args[@]}" --work "$WORK" "$@"
fi

# --cluster: the same job through spark-submit on a local standalone cluster with HDFS.
CLUSTER=$ROOT/deploy/local-cluster.sh
"$CLUSTER" status >/dev/null 2>&1 || "$CLUSTER" start --workers 2 --worker-memory 3g
"$CLUSTER" hdfs -mkdir -p /sparknmt/data
"$CLUSTER" hdfs -put -f "$DATA"/*.gz /sparknmt/data/
submit_conf=()
for k in ${kerberos[@]+"${kerberos[@]}"}; do submit_conf+=(--conf "$k"); done
hdfs_args=(--source /sparknmt/data/train.en.gz --target /sparknmt/data/train.es.gz
  --dev-source /sparknmt/data/dev.en.gz --dev-target /sparknmt/data/dev.es.gz
  --test-source /sparknmt/data/test.en.gz --test-target /sparknmt/data/test.es.gz)
"$CLUSTER" submit --driver-memory 3g \
  --conf "spark.driver.extraJavaOptions=-Dlog4j2.configurationFile=$ROOT/conf/log4j2.properties -Dorg.bytedeco.javacpp.maxbytes=4G -Dorg.bytedeco.javacpp.maxphysicalbytes=8G" \
  ${submit_conf[@]+"${submit_conf[@]}"} \
  --class org.sparknmt.jobs.PipelineJob \
  --conf "$ROOT/conf/bible.conf" --conf "$ROOT/conf/bible-cluster.conf" \
  "${hdfs_args[@]}" --work /sparknmt/runs/bible "$@"
echo "[run-pipeline] the local cluster is still running (results under hdfs:///sparknmt/runs/bible):" \
  "deploy/local-cluster.sh hdfs -ls /sparknmt/runs/bible/models/default; deploy/local-cluster.sh stop" >&2
