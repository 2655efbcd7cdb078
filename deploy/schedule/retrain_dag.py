"""Nightly retraining of the en-es model with Apache Airflow (apache-airflow-providers-apache-spark).

RetrainJob is safe to fire at any time and any number of times (it locks the model name, and a
snapshot retrained already is a no-op); max_active_runs=1 keeps Airflow from overlapping runs as
well. SparkSubmitOperator marks every non-zero exit as failed, so the job runs with
--exit-codes failures-only: promoted, kept and nothing-to-do exit 0 (the decision is in the model's
history.jsonl and in the bundle's decision.json); locked (3), bad input (2) and failure (1) fail the
task. The Java options are the build's (java -cp sparknmt-app.jar org.sparknmt.jobs.JvmOptions);
a test in the repository fails if they, the class or an option here drift from the build.
"""
from datetime import datetime, timedelta

from airflow import DAG
from airflow.providers.apache.spark.operators.spark_submit import SparkSubmitOperator

APP_JAR = "hdfs:///apps/sparknmt/sparknmt-app.jar"  # spark-jobs/target/sparknmt-app.jar, uploaded
JAVA_OPTIONS = "-XX:+IgnoreUnrecognizedVMOptions --add-modules=jdk.incubator.vector --add-opens=java.base/java.lang=ALL-UNNAMED --add-opens=java.base/java.lang.invoke=ALL-UNNAMED --add-opens=java.base/java.lang.reflect=ALL-UNNAMED --add-opens=java.base/java.io=ALL-UNNAMED --add-opens=java.base/java.net=ALL-UNNAMED --add-opens=java.base/java.nio=ALL-UNNAMED --add-opens=java.base/java.util=ALL-UNNAMED --add-opens=java.base/java.util.concurrent=ALL-UNNAMED --add-opens=java.base/java.util.concurrent.atomic=ALL-UNNAMED --add-opens=java.base/jdk.internal.ref=ALL-UNNAMED --add-opens=java.base/sun.nio.ch=ALL-UNNAMED --add-opens=java.base/sun.nio.cs=ALL-UNNAMED --add-opens=java.base/sun.security.action=ALL-UNNAMED --add-opens=java.base/sun.util.calendar=ALL-UNNAMED --add-opens=java.security.jgss/sun.security.krb5=ALL-UNNAMED -Djdk.reflect.useDirectMethodHandle=false -Dorg.deeplearning4j.spark.time.TimeSource=org.deeplearning4j.spark.time.SystemClockTimeSource"

with DAG(
    dag_id="sparknmt_retrain_en_es",
    schedule="30 2 * * *",
    start_date=datetime(2026, 12, 1),
    catchup=False,
    max_active_runs=1,
    default_args={"retries": 1, "retry_delay": timedelta(minutes=30)},
) as dag:
    SparkSubmitOperator(
        task_id="retrain",
        conn_id="spark_default",  # e.g. master yarn, deploy-mode client or cluster
        application=APP_JAR,
        java_class="org.sparknmt.jobs.RetrainJob",
        name="sparknmt-retrain-en-es",
        driver_memory="4g",
        executor_memory="4g",
        executor_cores=1,
        num_executors=4,
        conf={
            "spark.driver.extraJavaOptions": JAVA_OPTIONS,
            "spark.executor.extraJavaOptions": JAVA_OPTIONS,
            "spark.executor.memoryOverhead": "4g",
            "spark.serializer": "org.apache.spark.serializer.KryoSerializer",
            "spark.kryo.registrator": "org.nd4j.kryo.Nd4jRegistrator",
        },
        application_args=[
            "--snapshot", "hdfs:///data/en-es/snapshots/current",
            "--dev-source", "hdfs:///data/en-es/eval/dev.en",
            "--dev-target", "hdfs:///data/en-es/eval/dev.es",
            "--test-source", "hdfs:///data/en-es/eval/test.en",
            "--test-target", "hdfs:///data/en-es/eval/test.es",
            "--work", "hdfs:///sparknmt/retrain/en-es",
            "--models", "hdfs:///sparknmt/store",
            "--name", "en-es",
            "--exit-codes", "failures-only",
            "--set", "sparknmt.train.workers=4",
        ],
    )
