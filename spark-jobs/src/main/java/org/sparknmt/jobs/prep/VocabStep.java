package org.sparknmt.jobs.prep;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Map;
import java.util.TreeMap;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.sparknmt.jobs.UserError;
import org.sparknmt.prep.bpe.BpeLearner;
import org.sparknmt.prep.bpe.BpeModel;
import org.sparknmt.prep.spark.WordCounts;

/**
 * Step 2, {@code vocab}: joint BPE over both sides of {@code OUT/corpus/train}. Pre-token
 * frequencies are counted on the executors; the merges are learned on the driver from that table.
 * Writes the model's plain files ({@code vocab.txt}, {@code merges.txt}) to {@code OUT/bpe/}.
 */
final class VocabStep {
  private static final Logger LOG = LoggerFactory.getLogger(VocabStep.class);

  static final String DIR = "bpe";

  private VocabStep() {}

  static void run(SparkSession spark, PrepConfig cfg) {
    long start = System.nanoTime();
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    String train = PipelinePaths.in(cfg, CorpusStep.DIR, "train");
    requireStepOutput(train, "corpus", jsc.hadoopConfiguration());
    String out = PipelinePaths.step(cfg, DIR);
    if (!cfg.overwrite()) {
      StagedOutput.begin(out, false, jsc.hadoopConfiguration()).abort(); // fail early if it exists
    }
    JavaRDD<String> sentences =
        PairFiles.read(jsc, train).flatMap(r -> Arrays.asList(r.source(), r.target()).iterator());
    WordCounts.Counted counted = WordCounts.count(sentences, cfg.bpeMaxWords());
    Map<String, Long> counts = counted.counts();
    if (counted.pruned()) {
      LOG.info(
          "vocab: {} distinct pre-tokens counted in {} s; learning from the {} most frequent"
              + " (seen at least {} times; sparknmt.bpe.max-words)",
          counted.distinct(),
          CorpusStep.seconds(start),
          counts.size(),
          counted.minCountKept());
    } else {
      LOG.info(
          "vocab: {} distinct pre-tokens counted in {} s",
          counted.distinct(),
          CorpusStep.seconds(start));
    }
    if (counts.isEmpty()) {
      throw new UserError("no training text in " + train + " to learn a vocabulary from");
    }
    long t1 = System.nanoTime();
    BpeModel model = BpeLearner.learn(counts, cfg.bpe());
    LOG.info(
        "vocab: learned {} merges, vocabulary {} in {} s (sha256 {})",
        model.numMerges(),
        model.vocabulary().size(),
        CorpusStep.seconds(t1),
        model.sha256());
    try (StagedOutput staged =
        StagedOutput.begin(out, cfg.overwrite(), jsc.hadoopConfiguration())) {
      model.toFiles().forEach(staged::writeString);
      staged.commit();
    }
    LOG.info("vocab: wrote {} in {} s total", out, CorpusStep.seconds(start));
  }

  /**
   * Writes a given BPE model as this step's output instead of learning one (retraining with the
   * champion's vocabulary), after checking that the files form a valid model.
   */
  static void writeGiven(SparkSession spark, PrepConfig cfg, Map<String, String> files) {
    BpeModel model;
    try {
      model = BpeModel.fromFiles(files);
    } catch (IllegalArgumentException e) {
      throw new UserError("invalid BPE model given for the vocab step: " + e.getMessage(), e);
    }
    try (StagedOutput staged =
        StagedOutput.begin(
            PipelinePaths.step(cfg, DIR),
            cfg.overwrite(),
            spark.sparkContext().hadoopConfiguration())) {
      model.toFiles().forEach(staged::writeString);
      staged.commit();
    }
    LOG.info("vocab: used the given BPE model (sha256 {}), none learned", model.sha256());
  }

  /** Reads a model written by this step (or any directory of {@link BpeModel#toFiles}). */
  static BpeModel load(String dir, Configuration conf) {
    requireStepOutput(dir, "vocab", conf);
    Map<String, String> files = new TreeMap<>();
    Path p = new Path(dir);
    try {
      FileSystem fs = p.getFileSystem(conf);
      for (FileStatus f : fs.listStatus(p)) {
        if (f.isFile()) {
          try (InputStream in = fs.open(f.getPath())) {
            ByteArrayOutputStream buf = new ByteArrayOutputStream();
            in.transferTo(buf);
            files.put(f.getPath().getName(), buf.toString(StandardCharsets.UTF_8));
          }
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    try {
      return BpeModel.fromFiles(files);
    } catch (IllegalArgumentException e) {
      throw new UserError("invalid BPE model in " + dir + ": " + e.getMessage(), e);
    }
  }

  /** Fails with a clear message when an earlier step's output is missing. */
  static void requireStepOutput(String path, String step, Configuration conf) {
    Path p = new Path(path);
    try {
      if (!p.getFileSystem(conf).exists(p)) {
        throw new UserError(
            "missing "
                + path
                + ": run the '"
                + step
                + "' step first (PrepareJob --steps "
                + step
                + ")");
      }
    } catch (IOException e) {
      throw new UserError("cannot read " + path + ": " + e.getMessage(), e);
    }
  }
}
