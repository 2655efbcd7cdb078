package org.sparknmt.jobs.prep;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.storage.StorageLevel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.sparknmt.prep.clean.Normalizer;
import org.sparknmt.prep.clean.PairRecord;
import org.sparknmt.prep.clean.RejectReason;
import org.sparknmt.prep.shard.Bucketing;
import org.sparknmt.prep.spark.CorpusCleaner;
import org.sparknmt.prep.spark.InputFiles;
import org.sparknmt.prep.spark.ParallelCorpusReader;
import org.sparknmt.prep.spark.ParallelCorpusReader.Corpus;
import scala.Tuple2;

/**
 * Step 1, {@code corpus}: read and validate the parallel corpus, normalise, filter, split off
 * dev/test if asked, and write {@code OUT/corpus/}:
 *
 * <pre>
 * train/        kept pairs, JSON lines {"line", "source", "target"} in line order (PairFiles)
 * dev/, test/   same, if dev/test files were given or split off (normalised, never filtered)
 * rejects/      JSON lines {"line", "reason", "source", "target"}, in line order
 * report.json   inputs (paths, line counts, SHA-256), counts per filter, config
 * </pre>
 *
 * All input validation happens before the output directory is created.
 */
final class CorpusStep {
  private static final Logger LOG = LoggerFactory.getLogger(CorpusStep.class);

  static final String DIR = "corpus";

  private CorpusStep() {}

  static void run(SparkSession spark, PrepConfig cfg) {
    long start = System.nanoTime();
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    String out = PipelinePaths.step(cfg, DIR);
    ParallelCorpusReader reader = new ParallelCorpusReader(jsc, cfg.invalidLines());

    // 1. read and validate everything before writing anything (new parts of a part cache excepted:
    // each is written whole to the cache, never to this step's output)
    TrainSide train = readAndClean(jsc, reader, cfg);
    Corpus dev = cfg.devSource().isEmpty() ? null : reader.read(cfg.devSource(), cfg.devTarget());
    Corpus test =
        cfg.testSource().isEmpty() ? null : reader.read(cfg.testSource(), cfg.testTarget());
    List<String> evalFiles = new ArrayList<>();
    List<String> files = new ArrayList<>(train.files());
    List<Long> fileLines = new ArrayList<>(train.fileLines());
    for (Corpus c : new Corpus[] {dev, test}) {
      if (c != null) {
        evalFiles.addAll(c.files());
        fileLines.addAll(c.fileLines());
      }
    }
    files.addAll(evalFiles);
    List<String> hashes = null;
    if (train.sha256() != null) {
      hashes = new ArrayList<>(train.sha256());
      hashes.addAll(InputFiles.sha256(jsc, evalFiles));
    } else if (cfg.hashInputs()) {
      hashes = InputFiles.sha256(jsc, files);
    }
    LOG.info(
        "corpus: read {} training pairs from {} file(s) in {} s",
        train.lines(),
        files.size(),
        seconds(start));

    // 2. normalise and filter (every input pair comes out once: kept or with a reason)
    long t1 = System.nanoTime();
    JavaRDD<PairRecord> cleaned = train.cleaned().persist(StorageLevel.MEMORY_AND_DISK());
    Map<String, Long> byReason = new LinkedHashMap<>();
    for (RejectReason r : RejectReason.values()) {
      if (r.ordinal() <= RejectReason.DUPLICATE.ordinal()) {
        byReason.put(r.code(), 0L);
      }
    }
    long kept = 0;
    for (Map.Entry<String, Long> e :
        cleaned.map(r -> r.isKept() ? "" : r.reason().code()).countByValue().entrySet()) {
      if (e.getKey().isEmpty()) {
        kept = e.getValue();
      } else {
        byReason.put(e.getKey(), e.getValue());
      }
    }
    long rejected = byReason.values().stream().mapToLong(Long::longValue).sum();
    if (kept + rejected != train.lines()) {
      throw new IllegalStateException(
          "lost pairs: kept " + kept + " + rejected " + rejected + " != input " + train.lines());
    }
    train.release().run();
    LOG.info(
        "corpus: kept {} of {} pairs, rejected {} in {} s",
        kept,
        train.lines(),
        byReason,
        seconds(t1));

    // 3. split off dev/test from the kept pairs if asked
    JavaRDD<PairRecord> keptPairs = cleaned.filter(PairRecord::isKept);
    Set<Long> devLines = Set.of();
    Set<Long> testLines = Set.of();
    int splitOff = cfg.devSize() + cfg.testSize();
    if (splitOff > 0) {
      if (splitOff >= kept) {
        throw new org.sparknmt.jobs.UserError(
            "cannot split off "
                + splitOff
                + " dev/test pairs from "
                + kept
                + " kept pairs (sparknmt.data.split.*)");
      }
      long seed = cfg.seed();
      List<Tuple2<Long, Long>> chosen =
          keptPairs
              .map(r -> new Tuple2<>(Bucketing.leftoverRank(seed, r.line()), r.line()))
              .takeOrdered(splitOff, new RankOrder());
      Set<Long> d = new HashSet<>();
      Set<Long> t = new HashSet<>();
      for (int i = 0; i < chosen.size(); i++) {
        (i < cfg.devSize() ? d : t).add(chosen.get(i)._2);
      }
      devLines = d;
      testLines = t;
    }
    Broadcast<Set<Long>> splitLines = jsc.broadcast(union(devLines, testLines));

    // 4. write to a temporary directory, rename when complete
    Map<String, Object> report = new LinkedHashMap<>();
    try (StagedOutput staged =
        StagedOutput.begin(out, cfg.overwrite(), jsc.hadoopConfiguration())) {
      long t2 = System.nanoTime();
      JavaRDD<PairRecord> trainPairs =
          keptPairs.filter(r -> !splitLines.value().contains(r.line()));
      writePairs(trainPairs, staged.path("train"));
      long devCount = 0;
      long testCount = 0;
      if (dev != null) {
        devCount = writeEvalSet(dev, cfg.normalizer(), staged.path("dev"));
      } else if (!devLines.isEmpty()) {
        Set<Long> lines = devLines;
        writePairs(keptPairs.filter(r -> lines.contains(r.line())), staged.path("dev"));
        devCount = devLines.size();
      }
      if (test != null) {
        testCount = writeEvalSet(test, cfg.normalizer(), staged.path("test"));
      } else if (!testLines.isEmpty()) {
        Set<Long> lines = testLines;
        writePairs(keptPairs.filter(r -> lines.contains(r.line())), staged.path("test"));
        testCount = testLines.size();
      }
      writeRejects(cleaned.filter(r -> !r.isKept()), staged.path("rejects"));

      Map<String, Object> inputs = new LinkedHashMap<>();
      inputs.put("source", cfg.tsv().isEmpty() ? cfg.source() : null);
      inputs.put("target", cfg.tsv().isEmpty() ? cfg.target() : null);
      inputs.put("tsv", cfg.tsv().isEmpty() ? null : cfg.tsv());
      List<Map<String, Object>> fileList = new ArrayList<>();
      for (int i = 0; i < files.size(); i++) {
        Map<String, Object> f = new LinkedHashMap<>();
        f.put("path", files.get(i));
        f.put("lines", fileLines.get(i));
        f.put("sha256", hashes == null ? null : hashes.get(i));
        fileList.add(f);
      }
      inputs.put("files", fileList);
      if (train.partCache() != null) {
        inputs.put("partCache", train.partCache());
      }
      report.put("inputs", inputs);
      Map<String, Object> pairs = new LinkedHashMap<>();
      pairs.put("input", train.lines());
      pairs.put("kept", kept);
      pairs.put("rejected", rejected);
      pairs.put("train", kept - devLines.size() - testLines.size());
      pairs.put("splitOffDev", devLines.size());
      pairs.put("splitOffTest", testLines.size());
      report.put("pairs", pairs);
      report.put("rejectedBy", byReason);
      report.put("dev", devCount);
      report.put("test", testCount);
      report.put("config", cfg.resolved());
      report.put("seconds", seconds(start));
      staged.writeJson("report.json", report);
      staged.commit();
      LOG.info("corpus: wrote {} in {} s", out, seconds(t2));
    } finally {
      splitLines.destroy();
      cleaned.unpersist(false);
    }
  }

  /**
   * The training side, normalised and filtered, with what the report says about its inputs.
   *
   * @param sha256 of each training file, or null if not computed yet
   * @param release drops the cached input once {@code cleaned} is materialised
   */
  private record TrainSide(
      JavaRDD<PairRecord> cleaned,
      long lines,
      List<String> files,
      List<Long> fileLines,
      List<String> sha256,
      Map<String, Object> partCache,
      Runnable release) {}

  private static TrainSide readAndClean(
      JavaSparkContext jsc, ParallelCorpusReader reader, PrepConfig cfg) {
    if (!cfg.partCache().isEmpty()) {
      PartCache.Cleaned c = PartCache.clean(jsc, reader, cfg);
      Map<String, Object> cache = new LinkedHashMap<>();
      cache.put("directory", cfg.partCache());
      cache.put("parts", c.files().size());
      cache.put("reused", c.reused());
      cache.put("cleaned", c.cleaned());
      return new TrainSide(
          c.pairs(), c.lines(), c.files(), c.fileLines(), c.sha256(), cache, () -> {});
    }
    Corpus train =
        cfg.tsv().isEmpty()
            ? reader.read(
                requirePath(cfg.source(), "--source"), requirePath(cfg.target(), "--target"))
            : reader.readTsv(cfg.tsv());
    JavaRDD<PairRecord> cleaned =
        CorpusCleaner.clean(train.pairs(), cfg.normalizer(), cfg.filter(), cfg.dropDuplicates());
    return new TrainSide(
        cleaned, train.lines(), train.files(), train.fileLines(), null, null, train::release);
  }

  private static String requirePath(String path, String option) {
    if (path.isEmpty()) {
      throw new org.sparknmt.jobs.UserError(
          "no input: give " + option + " (and its other side) or --tsv");
    }
    return path;
  }

  private static Set<Long> union(Set<Long> a, Set<Long> b) {
    Set<Long> u = new HashSet<>(a);
    u.addAll(b);
    return u;
  }

  private static void writePairs(JavaRDD<PairRecord> pairs, String path) {
    PairFiles.write(pairs, path, pairs.getNumPartitions());
  }

  /** Rejected pairs as JSON lines {line, reason, source, target} in line order. */
  static void writeRejects(JavaRDD<PairRecord> rejected, String path) {
    PairFiles.write(rejected, path, Math.min(rejected.getNumPartitions(), 8));
  }

  /** Dev/test sets are normalised but never filtered: every line stays (references for BLEU). */
  private static long writeEvalSet(Corpus set, Normalizer normalizer, String path) {
    JavaRDD<PairRecord> pairs =
        set.pairs()
            .map(
                r ->
                    PairRecord.kept(
                        r.line(),
                        normalizer.normalize(r.source()),
                        normalizer.normalize(r.target())));
    writePairs(pairs, path);
    set.release();
    return set.lines();
  }

  static double seconds(long startNanos) {
    return Math.round((System.nanoTime() - startNanos) / 1e7) / 100.0;
  }

  /** Orders (rank, line) by rank, then line. */
  private static final class RankOrder
      implements java.util.Comparator<Tuple2<Long, Long>>, java.io.Serializable {
    private static final long serialVersionUID = 1L;

    @Override
    public int compare(Tuple2<Long, Long> a, Tuple2<Long, Long> b) {
      int c = Long.compare(a._1, b._1);
      return c != 0 ? c : Long.compare(a._2, b._2);
    }
  }
}
