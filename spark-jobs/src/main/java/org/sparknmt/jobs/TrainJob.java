package org.sparknmt.jobs;

import java.net.URI;
import java.util.concurrent.Callable;
import org.apache.spark.sql.SparkSession;
import org.sparknmt.jobs.config.ConfigOptions;
import org.sparknmt.jobs.config.Settings;
import org.sparknmt.jobs.train.TrainPipeline;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code spark-submit --class org.sparknmt.jobs.TrainJob app.jar --shards URI --run URI --models
 * URI [--name NAME]}: trains the Transformer on a shard directory with dl4j-spark parameter
 * averaging, checkpointing to {@code --run}; re-running the same command resumes from the newest
 * complete checkpoint, and a finished run is not trained again. The result is a model bundle under
 * {@code --models}.
 */
@Command(
    name = "train",
    mixinStandardHelpOptions = true,
    description = "Train a Transformer on a shard directory (dl4j-spark parameter averaging).")
public final class TrainJob implements Callable<Integer> {
  @Mixin ConfigOptions conf = new ConfigOptions();

  @Option(names = "--shards", required = true, description = "Shard directory (ShardJob output)")
  URI shards;

  @Option(names = "--run", required = true, description = "Run directory: checkpoints, report")
  URI run;

  @Option(
      names = "--models",
      required = true,
      description = "Model store root: bundles go to ROOT/models/NAME/vNNNN")
  URI models;

  @Option(names = "--name", defaultValue = "default", description = "Model name in the store")
  String name;

  public static void main(String[] args) {
    Cli.main(new TrainJob(), args);
  }

  @Override
  public Integer call() {
    RunConfiguration config = RunConfiguration.of(Settings.load(conf));
    try (SparkSession spark = Sessions.create(config.settings(), "train")) {
      new TrainPipeline(config, shards, run, models, name).run(spark);
    }
    return Cli.EXIT_OK;
  }
}
