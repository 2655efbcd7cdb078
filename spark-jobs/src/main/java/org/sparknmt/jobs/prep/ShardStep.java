package org.sparknmt.jobs.prep;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.storage.StorageLevel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.sparknmt.jobs.UserError;
import org.sparknmt.prep.bpe.BpeModel;
import org.sparknmt.prep.clean.PairRecord;
import org.sparknmt.prep.clean.RejectReason;
import org.sparknmt.prep.shard.BatchStats;
import org.sparknmt.prep.shard.Bucketing;
import org.sparknmt.prep.shard.EncodedPair;
import org.sparknmt.prep.shard.PartStats;
import org.sparknmt.prep.shard.ShardIndex;
import org.sparknmt.prep.shard.ShardSummary;
import org.sparknmt.prep.spark.BpeBroadcast;
import org.sparknmt.prep.spark.ShardWriter;

/**
 * Step 3, {@code shard}: encode {@code OUT/corpus} with the BPE model of {@code OUT/bpe} (broadcast
 * once), bucket by length and write {@code OUT/shards/}:
 *
 * <pre>
 * train/part-NNNNN.bin      the batches, packed: each batch's MultiDataSet.save() bytes (layout:
 *                            BatchBuilder) one after another, at most part-bytes per file; as many
 *                            pairs per batch as fit batch-tokens (padding included), or exactly
 *                            batch-size-per-worker pairs when batch-tokens = 0; batch order
 *                            shuffled by seed
 * train/index.tsv            one row per batch (ShardIndex): part, offset, length, pairs, padded
 *                            lengths, real token counts, SHA-256 of its bytes
 * dev/, test/                same layout in length order (last batch may be partial), plus
 *                            source.txt, reference.txt, lines.txt (normalised text, line order)
 * bpe/                       copy of the BPE model files
 * rejects/                   JSON lines {line, reason, source, target}: too-long-subwords,
 *                            batch-leftover (pair batches only)
 * manifest.json              format sparknmt-shards/2; counts, tokens, padding efficiency, bucket
 *                            table, hashes, config; per set its batches and its part files (name,
 *                            bytes, batches, SHA-256: checked before training)
 * </pre>
 */
final class ShardStep {
  private static final Logger LOG = LoggerFactory.getLogger(ShardStep.class);

  static final String DIR = "shards";

  private ShardStep() {}

  static void run(SparkSession spark, PrepConfig cfg) {
    long start = System.nanoTime();
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    Configuration conf = jsc.hadoopConfiguration();
    String corpus = PipelinePaths.step(cfg, CorpusStep.DIR);
    VocabStep.requireStepOutput(new Path(corpus, "train").toString(), "corpus", conf);
    BpeModel model = VocabStep.load(PipelinePaths.step(cfg, VocabStep.DIR), conf);
    String out = PipelinePaths.step(cfg, DIR);
    Bucketing bk = cfg.bucketing();

    Broadcast<BpeBroadcast> bpe = BpeBroadcast.of(jsc, model);
    try (StagedOutput staged = StagedOutput.begin(out, cfg.overwrite(), conf)) {
      // training set: encode, drop too-long pairs and the leftover, write full batches
      JavaRDD<PairRecord> train = readPairs(spark, new Path(corpus, "train").toString());
      int partitions = Math.max(jsc.defaultParallelism(), train.getNumPartitions());
      int maxS = cfg.maxSourceLength();
      int maxT = cfg.maxTargetLength();
      JavaRDD<EncodedPair> encoded =
          BpeBroadcast.encode(train, bpe).persist(StorageLevel.MEMORY_AND_DISK());
      long input = encoded.count();
      Set<Long> tooLong =
          new HashSet<>(
              encoded
                  .filter(p -> p.sourceLength() > maxS || p.targetLength() > maxT)
                  .map(EncodedPair::line)
                  .collect());
      JavaRDD<EncodedPair> fits =
          encoded.filter(p -> p.sourceLength() <= maxS && p.targetLength() <= maxT);
      long fitting = input - tooLong.size();
      // token batches take every pair; pair batches drop N mod batchSize so that all are full
      Set<Long> leftover =
          bk.byTokens()
              ? Set.of()
              : ShardWriter.leftoverLines(fits, fitting, bk.batchSize(), cfg.shardSeed());
      Set<Long> dropped = new HashSet<>(leftover);
      dropped.addAll(tooLong);
      Broadcast<Set<Long>> droppedLines = jsc.broadcast(dropped);
      long batched = input - dropped.size();
      LOG.info(
          "shard: encoded {} pairs in {} s; {} too long, {} left over",
          input,
          CorpusStep.seconds(start),
          tooLong.size(),
          leftover.size());
      long t1 = System.nanoTime();
      ShardWriter.Written trainWritten =
          ShardWriter.write(
              jsc,
              fits.filter(p -> !droppedLines.value().contains(p.line())),
              batched,
              bk,
              cfg.shardSeed(),
              staged.path("train"),
              partitions,
              cfg.partBytes());
      List<BatchStats> trainStats = trainWritten.batches();
      staged.writeString("train/" + ShardIndex.FILE, ShardIndex.format(trainStats));
      ShardSummary trainSummary = ShardSummary.of(trainStats, bk);
      int maxPairs = trainStats.stream().mapToInt(BatchStats::pairs).max().orElse(0);
      long overBudget = overBudget(trainStats, bk);
      LOG.info(
          "shard: wrote {} training batches ({} bytes in {} part files) of {} in {} s, padding"
              + " efficiency {}",
          trainStats.size(),
          trainWritten.parts().stream().mapToLong(PartStats::bytes).sum(),
          trainWritten.parts().size(),
          bk.byTokens()
              ? "<= " + bk.batchTokens() + " tokens (1.." + maxPairs + " pairs)"
              : bk.batchSize() + " pairs",
          CorpusStep.seconds(t1),
          String.format("%.4f", trainSummary.paddingEfficiency()));
      if (overBudget > 0) {
        LOG.warn(
            "shard: {} training pairs are longer than batch-tokens = {} on their own; each is a"
                + " batch by itself",
            overBudget,
            bk.batchTokens());
      }

      // rejects with their text, from the corpus
      Set<Long> tooLongLines = tooLong;
      CorpusStep.writeRejects(
          train
              .filter(r -> droppedLines.value().contains(r.line()))
              .map(
                  r ->
                      r.withReason(
                          tooLongLines.contains(r.line())
                              ? RejectReason.TOO_LONG_SUBWORDS
                              : RejectReason.BATCH_LEFTOVER)),
          staged.path("rejects"));
      encoded.unpersist(false);
      droppedLines.destroy();

      Map<String, Object> manifest = new LinkedHashMap<>();
      manifest.put("format", ShardIndex.FORMAT);
      // the largest batch: every batch file is one minibatch of at most this many pairs
      manifest.put("batchSizePerWorker", maxPairs);
      manifest.put("batchTokens", bk.batchTokens());
      manifest.put("partBytes", cfg.partBytes());
      manifest.put("layout", layout());
      Map<String, Object> trainPart = new LinkedHashMap<>();
      Map<String, Object> pairs = new LinkedHashMap<>();
      pairs.put("input", input);
      pairs.put("batched", batched);
      pairs.put(RejectReason.TOO_LONG_SUBWORDS.code(), tooLong.size());
      pairs.put(RejectReason.BATCH_LEFTOVER.code(), leftover.size());
      trainPart.put("pairs", pairs);
      trainPart.put("overBudgetBatches", overBudget);
      trainPart.putAll(summary(trainSummary, trainWritten.parts(), true));
      manifest.put("train", trainPart);

      // evaluation sets: all pairs that fit, length-ordered batches, plus the text in line order
      for (String set : new String[] {"dev", "test"}) {
        String path = new Path(corpus, set).toString();
        if (exists(path, conf)) {
          manifest.put(set, writeEvalSet(spark, jsc, bpe, cfg, path, staged, set));
        }
      }

      model.toFiles().forEach((name, content) -> staged.writeString("bpe/" + name, content));
      Map<String, Object> bpeInfo = new LinkedHashMap<>();
      bpeInfo.put("sha256", model.sha256());
      bpeInfo.put("vocabSize", model.vocabulary().size());
      bpeInfo.put("merges", model.numMerges());
      bpeInfo.put("files", new ArrayList<>(model.toFiles().keySet()));
      manifest.put("bpe", bpeInfo);
      manifest.put("corpusReport", readJson(new Path(corpus, "report.json"), conf));
      manifest.put("config", cfg.resolved());
      manifest.put("seconds", CorpusStep.seconds(start));
      staged.writeJson("manifest.json", manifest);
      staged.commit();
    } finally {
      bpe.destroy();
    }
    LOG.info("shard: wrote {} in {} s", out, CorpusStep.seconds(start));
  }

  private static Map<String, Object> writeEvalSet(
      SparkSession spark,
      JavaSparkContext jsc,
      Broadcast<BpeBroadcast> bpe,
      PrepConfig cfg,
      String path,
      StagedOutput staged,
      String set) {
    List<PairRecord> pairs = new ArrayList<>(readPairs(spark, path).collect());
    pairs.sort(java.util.Comparator.comparingLong(PairRecord::line));
    StringBuilder src = new StringBuilder();
    StringBuilder ref = new StringBuilder();
    StringBuilder lines = new StringBuilder();
    for (PairRecord p : pairs) {
      src.append(p.source()).append('\n');
      ref.append(p.target()).append('\n');
      lines.append(p.line()).append('\n');
    }
    staged.writeString(set + "/source.txt", src.toString());
    staged.writeString(set + "/reference.txt", ref.toString());
    staged.writeString(set + "/lines.txt", lines.toString());
    int maxS = cfg.maxSourceLength();
    int maxT = cfg.maxTargetLength();
    JavaRDD<EncodedPair> fits =
        BpeBroadcast.encode(jsc.parallelize(pairs, jsc.defaultParallelism()), bpe)
            .filter(p -> p.sourceLength() <= maxS && p.targetLength() <= maxT)
            .persist(StorageLevel.MEMORY_AND_DISK());
    long n = fits.count();
    ShardWriter.Written written =
        ShardWriter.write(
            jsc,
            fits,
            n,
            cfg.bucketing(),
            null,
            staged.path(set),
            jsc.defaultParallelism(),
            cfg.partBytes());
    fits.unpersist(false);
    List<BatchStats> stats = written.batches();
    staged.writeString(set + "/" + ShardIndex.FILE, ShardIndex.format(stats));
    Map<String, Object> part = new LinkedHashMap<>();
    Map<String, Object> counts = new LinkedHashMap<>();
    counts.put("input", pairs.size());
    counts.put("batched", n);
    counts.put(RejectReason.TOO_LONG_SUBWORDS.code(), pairs.size() - n);
    part.put("pairs", counts);
    part.putAll(summary(ShardSummary.of(stats, cfg.bucketing()), written.parts(), false));
    part.put(
        "text",
        Map.of(
            "source",
            set + "/source.txt",
            "reference",
            set + "/reference.txt",
            "lines",
            set + "/lines.txt"));
    LOG.info("shard: {} set: {} pairs, {} batches", set, pairs.size(), stats.size());
    return part;
  }

  private static Map<String, Object> summary(
      ShardSummary s, List<PartStats> parts, boolean shuffled) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("batches", s.batches());
    m.put("order", shuffled ? "shuffled by seed" : "by length");
    List<Map<String, Object>> files = new ArrayList<>();
    for (PartStats p : parts) {
      Map<String, Object> f = new LinkedHashMap<>();
      f.put("file", p.name());
      f.put("bytes", p.bytes());
      f.put("batches", p.batches().size());
      f.put("sha256", p.sha256());
      files.add(f);
    }
    m.put("parts", files);
    Map<String, Object> tokens = new LinkedHashMap<>();
    tokens.put("source", s.sourceTokens());
    tokens.put("target", s.targetTokens());
    tokens.put("paddedSource", s.paddedSourcePositions());
    tokens.put("paddedTarget", s.paddedTargetPositions());
    m.put("tokens", tokens);
    m.put("paddingEfficiency", s.paddingEfficiency());
    List<Map<String, Object>> rows = new ArrayList<>();
    for (ShardSummary.Row r : s.buckets()) {
      Map<String, Object> row = new LinkedHashMap<>();
      row.put("bucket", r.bucket());
      row.put("sourceLengthMin", r.sourceLengthMin());
      row.put("sourceLengthMax", r.sourceLengthMax());
      row.put("batches", r.batches());
      row.put("pairs", r.pairs());
      row.put("maxSourceLength", r.maxSourceLength());
      row.put("maxTargetLength", r.maxTargetLength());
      row.put("paddingEfficiency", r.paddingEfficiency());
      rows.add(row);
    }
    m.put("buckets", rows);
    return m;
  }

  /** Batches whose padded positions {@code pairs × max(S, T)} exceed the token budget. */
  static long overBudget(List<BatchStats> stats, Bucketing bk) {
    if (!bk.byTokens()) {
      return 0;
    }
    return stats.stream()
        .filter(
            s -> (long) s.pairs() * Math.max(s.sourceLength(), s.targetLength()) > bk.batchTokens())
        .count();
  }

  private static Map<String, Object> layout() {
    Map<String, Object> l = new LinkedHashMap<>();
    l.put("features[0]", "source ids [B,S] float32: x1..xm </s>, pad 0");
    l.put("features[1]", "decoder input [B,T]: <s> y1..yn, pad 0");
    l.put("featuresMasks[0]", "[B,S] 1 real, 0 pad");
    l.put("featuresMasks[1]", "[B,T]");
    l.put("labels[0]", "decoder output ids [B,1,T]: y1..yn </s>, pad 0");
    l.put("labelsMasks[0]", "[B,T]");
    l.put("ids", Map.of("pad", 0, "bos", 1, "eos", 2, "unk", 3));
    return l;
  }

  static JavaRDD<PairRecord> readPairs(SparkSession spark, String path) {
    return PairFiles.read(JavaSparkContext.fromSparkContext(spark.sparkContext()), path);
  }

  private static boolean exists(String path, Configuration conf) {
    try {
      Path p = new Path(path);
      return p.getFileSystem(conf).exists(p);
    } catch (java.io.IOException e) {
      throw new UserError("cannot read " + path + ": " + e.getMessage(), e);
    }
  }

  private static Object readJson(Path path, Configuration conf) {
    try (java.io.InputStream in = path.getFileSystem(conf).open(path)) {
      return StagedOutput.JSON.readValue(in, Map.class);
    } catch (java.io.IOException e) {
      throw new UserError("cannot read " + path + ": " + e.getMessage(), e);
    }
  }
}
