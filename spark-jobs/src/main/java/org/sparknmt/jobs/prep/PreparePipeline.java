package org.sparknmt.jobs.prep;

import java.io.IOException;
import java.util.List;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.SparkSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.sparknmt.jobs.UserError;
import org.sparknmt.prep.InputError;

/**
 * Runs the corpus pipeline's steps in order — {@code corpus} (read, validate, normalise, filter),
 * {@code vocab} (joint BPE), {@code shard} (encode, bucket, write MultiDataSets) — each into its
 * own directory under {@code sparknmt.data.output}. A failing step leaves no output of its own, and
 * an output root this run created is removed again if nothing was completed in it.
 */
public final class PreparePipeline {
  private static final Logger LOG = LoggerFactory.getLogger(PreparePipeline.class);

  /** The steps, in the order they run. */
  public static final List<String> STEPS = List.of("corpus", "vocab", "shard");

  private final PrepConfig cfg;

  public PreparePipeline(PrepConfig cfg) {
    this.cfg = cfg;
  }

  public void run(SparkSession spark, List<String> steps) {
    for (String s : steps) {
      if (!STEPS.contains(s)) {
        throw new UserError("unknown step '" + s + "': allowed " + String.join(", ", STEPS));
      }
    }
    Path root = new Path(cfg.requireOutput());
    FileSystem fs;
    boolean rootExisted;
    try {
      fs = root.getFileSystem(spark.sparkContext().hadoopConfiguration());
      rootExisted = fs.exists(root);
    } catch (IOException e) {
      throw new UserError("cannot use output " + root + ": " + e.getMessage(), e);
    }
    long start = System.nanoTime();
    try {
      for (String s : STEPS) {
        if (steps.contains(s)) {
          runStep(spark, s);
        }
      }
    } catch (InputError e) {
      removeIfEmpty(fs, root, rootExisted);
      throw new UserError(e.getMessage(), e);
    } catch (RuntimeException e) {
      removeIfEmpty(fs, root, rootExisted);
      throw e;
    }
    LOG.info("prepare: steps {} done in {} s", steps, CorpusStep.seconds(start));
  }

  /**
   * Runs the steps whose output does not exist yet (a re-run after a crash continues where the last
   * attempt stopped: every step's output appears whole or not at all).
   *
   * @param vocabulary BPE files to use instead of learning a vocabulary ({@link
   *     org.sparknmt.prep.bpe.BpeModel#toFiles}), e.g. a champion model's; null = learn one
   */
  public void runMissing(SparkSession spark, java.util.SortedMap<String, String> vocabulary) {
    org.apache.hadoop.conf.Configuration conf = spark.sparkContext().hadoopConfiguration();
    for (String s : STEPS) {
      Path out = new Path(PipelinePaths.step(cfg, outputDirectory(s)));
      try {
        if (out.getFileSystem(conf).exists(out)) {
          LOG.info("prepare: step {} done earlier ({})", s, out);
          continue;
        }
      } catch (IOException e) {
        throw new UserError("cannot use output " + out + ": " + e.getMessage(), e);
      }
      if ("vocab".equals(s) && vocabulary != null) {
        VocabStep.writeGiven(spark, cfg, vocabulary);
      } else {
        run(spark, List.of(s));
      }
    }
  }

  /** The directory a step writes under the output root. */
  public static String outputDirectory(String step) {
    return switch (step) {
      case "corpus" -> CorpusStep.DIR;
      case "vocab" -> VocabStep.DIR;
      case "shard" -> ShardStep.DIR;
      default -> throw new IllegalArgumentException(step);
    };
  }

  private void runStep(SparkSession spark, String step) {
    long t = System.nanoTime();
    LOG.info("prepare: step {} starting", step);
    switch (step) {
      case "corpus" -> CorpusStep.run(spark, cfg);
      case "vocab" -> VocabStep.run(spark, cfg);
      case "shard" -> ShardStep.run(spark, cfg);
      default -> throw new IllegalArgumentException(step);
    }
    LOG.info("prepare: step {} done in {} s", step, CorpusStep.seconds(t));
  }

  private static void removeIfEmpty(FileSystem fs, Path root, boolean existed) {
    if (existed) {
      return;
    }
    try {
      if (fs.exists(root) && fs.listStatus(root).length == 0) {
        fs.delete(root, false);
      }
    } catch (IOException e) {
      LOG.warn("could not remove empty output {}: {}", root, e.toString());
    }
  }
}
