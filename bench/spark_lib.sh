#!/bin/bash
# Shared set-up of the Spark benchmarks and drills (train_spark_bench.sh, scaling_bench.sh,
# base_model_run.sh, fault_drill.sh); sourced, not run. Expects ROOT; defines
#   APP_JAR, SPARK_JARS, DATA (the bundled corpus), CLUSTER (deploy/local-cluster.sh)
#   ensure_built          builds the application jar and the Spark home when either is missing
#   job MAIN ARGS...      a sparknmt job in local mode, as deploy/run-pipeline.sh runs it, with
#                         conf/bible.conf (off-heap limits JOB_MAX_BYTES, JOB_MAX_PHYSICAL_BYTES)
#   ensure_bench_shards DIR   the bundled corpus prepared under DIR/data when it is not there yet
#   bench_cluster_up DIR  the local standalone cluster (2 workers x 1 core) under DIR/cluster, started
#                         if not running and stopped when the script exits, DIR/data/shards on its
#                         HDFS as /bench/shards
#   cluster_train_bench ARGS...  TrainBenchJob --mode spark submitted to that cluster on /bench/shards
#                         with conf/bible.conf + conf/bible-cluster.conf; its JSON line
# and exports OMP_NUM_THREADS=1 OMP_WAIT_POLICY=PASSIVE (stated next to every number) and
# SPARK_LOCAL_IP=127.0.0.1.
APP_JAR=$ROOT/spark-jobs/target/sparknmt-app.jar
SPARK_JARS=$ROOT/local-cluster/spark-home/target/spark-home/jars
DATA=$ROOT/data/bible-en-es
CLUSTER=$ROOT/deploy/local-cluster.sh
JOB_MAX_BYTES=${JOB_MAX_BYTES:-4G}
JOB_MAX_PHYSICAL_BYTES=${JOB_MAX_PHYSICAL_BYTES:-10G}
export OMP_NUM_THREADS=1 OMP_WAIT_POLICY=PASSIVE SPARK_LOCAL_IP=127.0.0.1
# shellcheck source=deploy/native-env.sh
source "$ROOT/deploy/native-env.sh"   # OPENBLAS_CORETYPE for this CPU

ensure_built() {
  if [ ! -f "$APP_JAR" ] || ! compgen -G "$SPARK_JARS/*.jar" >/dev/null; then
    (cd "$ROOT" && mvn -B -q -ntp -DskipTests -Dspotless.check.skip=true install >&2)
  fi
}

job() { # MAIN ARGS...
  local main=$1; shift
  local java_opts
  java_opts=$(java -cp "$APP_JAR" org.sparknmt.jobs.JvmOptions)
  # shellcheck disable=SC2086
  java -Xmx4g -Dorg.bytedeco.javacpp.maxbytes="$JOB_MAX_BYTES" \
    -Dorg.bytedeco.javacpp.maxphysicalbytes="$JOB_MAX_PHYSICAL_BYTES" \
    $java_opts -Dlog4j2.configurationFile="$ROOT/conf/log4j2.properties" \
    -cp "$APP_JAR:$SPARK_JARS/*" "$main" --conf "$ROOT/conf/bible.conf" "$@"
}

ensure_bench_shards() { # DIR
  if [ ! -f "$1/data/shards/train/index.tsv" ]; then
    echo "# preparing shards under $1/data" >&2
    rm -rf "$1/data"
    job org.sparknmt.jobs.prep.PrepareJob --source "$DATA/train.en.gz" --target "$DATA/train.es.gz" \
      --dev-source "$DATA/dev.en.gz" --dev-target "$DATA/dev.es.gz" --out "$1/data" >&2
  fi
}

bench_cluster_up() { # DIR
  export SPARKNMT_CLUSTER_DIR=$1/cluster
  "$CLUSTER" status >/dev/null 2>&1 || "$CLUSTER" start --workers 2 --worker-cores 1 --worker-memory 3g >&2
  trap '"$CLUSTER" stop >&2 || true' EXIT
  "$CLUSTER" hdfs -mkdir -p /bench >&2
  "$CLUSTER" hdfs -put -f "$1/data/shards" /bench/ >&2
}

cluster_train_bench() { # TrainBenchJob ARGS...
  "$CLUSTER" submit --driver-memory 3g \
    --conf "spark.driver.extraJavaOptions=-Dlog4j2.configurationFile=$ROOT/conf/log4j2.properties -Dorg.bytedeco.javacpp.maxbytes=4G -Dorg.bytedeco.javacpp.maxphysicalbytes=8G" \
    --class org.sparknmt.jobs.bench.TrainBenchJob --conf "$ROOT/conf/bible.conf" \
    --conf "$ROOT/conf/bible-cluster.conf" --shards /bench/shards --mode spark "$@" \
    2>/dev/null | grep '^{'
}
