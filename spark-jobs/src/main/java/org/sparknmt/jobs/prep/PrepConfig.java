package org.sparknmt.jobs.prep;

import java.util.LinkedHashMap;
import java.util.Map;
import org.sparknmt.jobs.UserError;
import org.sparknmt.jobs.config.Settings;
import org.sparknmt.prep.bpe.BpeLearner;
import org.sparknmt.prep.clean.Normalizer;
import org.sparknmt.prep.clean.PairFilter;
import org.sparknmt.prep.shard.Bucketing;
import org.sparknmt.prep.spark.ParallelCorpusReader.InvalidLines;

/**
 * The validated {@code sparknmt.data}, {@code sparknmt.bpe} and {@code sparknmt.shard}
 * configuration of the corpus pipeline (defaults and comments in {@code reference.conf}).
 */
public record PrepConfig(
    String source,
    String target,
    String tsv,
    String devSource,
    String devTarget,
    String testSource,
    String testTarget,
    int devSize,
    int testSize,
    long seed,
    String output,
    boolean overwrite,
    InvalidLines invalidLines,
    boolean hashInputs,
    String partCache,
    Normalizer normalizer,
    PairFilter filter,
    boolean dropDuplicates,
    BpeLearner.Config bpe,
    int bpeMaxWords,
    Bucketing bucketing,
    int maxSourceLength,
    int maxTargetLength,
    long shardSeed,
    long partBytes,
    Map<String, Object> resolved) {

  public static PrepConfig from(Settings s) {
    String tsv = s.string("sparknmt.data.tsv");
    String source = s.string("sparknmt.data.source");
    String target = s.string("sparknmt.data.target");
    String devSource = s.string("sparknmt.data.dev.source");
    String devTarget = s.string("sparknmt.data.dev.target");
    String testSource = s.string("sparknmt.data.test.source");
    String testTarget = s.string("sparknmt.data.test.target");
    int devSize = s.integer("sparknmt.data.split.dev-size", 0, Integer.MAX_VALUE);
    int testSize = s.integer("sparknmt.data.split.test-size", 0, Integer.MAX_VALUE);
    pairOfPaths("sparknmt.data.dev", devSource, devTarget);
    pairOfPaths("sparknmt.data.test", testSource, testTarget);
    if (devSize > 0 && !devSource.isEmpty()) {
      throw new UserError(
          "configuration: both sparknmt.data.split.dev-size and dev files are set; use one");
    }
    if (testSize > 0 && !testSource.isEmpty()) {
      throw new UserError(
          "configuration: both sparknmt.data.split.test-size and test files are set; use one");
    }
    int maxWords = s.integer("sparknmt.data.filter.max-words", 0, Integer.MAX_VALUE);
    double maxRatio = s.real("sparknmt.data.filter.max-ratio", 0, 1e9);
    if (maxRatio != 0 && maxRatio < 1) {
      throw new UserError(
          "configuration key 'sparknmt.data.filter.max-ratio' = "
              + maxRatio
              + ": allowed 0 (off) or a number >= 1");
    }
    Map<String, Object> resolved = new LinkedHashMap<>();
    for (String section : new String[] {"data", "bpe", "shard"}) {
      resolved.put(section, s.raw().getConfig("sparknmt." + section).root().unwrapped());
    }
    return new PrepConfig(
        source,
        target,
        tsv,
        devSource,
        devTarget,
        testSource,
        testTarget,
        devSize,
        testSize,
        s.longValue("sparknmt.data.seed", Long.MIN_VALUE, Long.MAX_VALUE),
        s.string("sparknmt.data.output"),
        s.bool("sparknmt.data.overwrite"),
        InvalidLines.valueOf(
            s.choice("sparknmt.data.on-invalid-line", "error", "reject").toUpperCase()),
        s.bool("sparknmt.data.hash-inputs"),
        s.string("sparknmt.data.part-cache"),
        new Normalizer(
            s.bool("sparknmt.data.normalize.nfc"),
            s.bool("sparknmt.data.normalize.whitespace"),
            s.bool("sparknmt.data.normalize.remove-control")),
        new PairFilter(
            s.bool("sparknmt.data.filter.empty"),
            maxWords,
            maxRatio,
            s.integer("sparknmt.data.filter.ratio-min-words", 0, Integer.MAX_VALUE),
            s.bool("sparknmt.data.filter.identical")),
        s.bool("sparknmt.data.filter.duplicates"),
        BpeLearner.Config.of(s.integer("sparknmt.bpe.vocab-size", 300, 1_000_000))
            .withSplitByScript(s.bool("sparknmt.bpe.split-by-script")),
        s.integer("sparknmt.bpe.max-words", 0, Integer.MAX_VALUE),
        new Bucketing(
            s.integer("sparknmt.shard.bucket-width", 1, Bucketing.MAX_LENGTH),
            s.integer("sparknmt.shard.batch-size-per-worker", 1, 1_000_000),
            s.integer("sparknmt.shard.batch-tokens", 0, 100_000_000)),
        s.integer("sparknmt.shard.max-source-length", 2, Bucketing.MAX_LENGTH),
        s.integer("sparknmt.shard.max-target-length", 2, Bucketing.MAX_LENGTH),
        s.longValue("sparknmt.shard.seed", Long.MIN_VALUE, Long.MAX_VALUE),
        s.longValue("sparknmt.shard.part-bytes", 1 << 16, Integer.MAX_VALUE),
        resolved);
  }

  private static void pairOfPaths(String key, String source, String target) {
    if (source.isEmpty() != target.isEmpty()) {
      throw new UserError(
          "configuration: " + key + ".source and " + key + ".target must be given together");
    }
  }

  /** The output directory, required by every step. */
  public String requireOutput() {
    if (output.isBlank()) {
      throw new UserError("no output directory: give --out DIR (or sparknmt.data.output)");
    }
    return output;
  }
}
