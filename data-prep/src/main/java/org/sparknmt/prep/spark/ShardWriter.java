package org.sparknmt.prep.spark;

import java.io.BufferedOutputStream;
import java.io.OutputStream;
import java.io.Serializable;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.sparknmt.prep.shard.BatchBuilder;
import org.sparknmt.prep.shard.BatchCuts;
import org.sparknmt.prep.shard.BatchStats;
import org.sparknmt.prep.shard.Bucketing;
import org.sparknmt.prep.shard.EncodedPair;
import scala.Tuple2;

/**
 * Cuts encoded pairs into length-bucketed batches (see {@link Bucketing}) and writes each batch as
 * one {@code MultiDataSet.save(OutputStream)} file, from the executors, under a directory on any
 * Hadoop URI. Batches hold a fixed number of pairs or fit a token budget ({@link BatchCuts}). File
 * {@code i} is {@link #fileName}(i); the batches' order among the files is a seeded shuffle for
 * training sets and the length order for evaluation sets.
 */
public final class ShardWriter {
  private ShardWriter() {}

  /** The name of batch file {@code i}. */
  public static String fileName(int i) {
    return String.format("batch-%08d.bin", i);
  }

  /** The per-batch table (shape and token counts of every batch file) next to the batches. */
  public static final String INDEX_FILE = "index.tsv";

  /** {@link #fileName} as a {@link String#format} pattern. */
  public static final String FILE_PATTERN = "batch-%08d.bin";

  /**
   * The lines of the {@code n mod batchSize} pairs a training set drops so that every batch is
   * full: those with the smallest {@link Bucketing#leftoverRank} for {@code seed}.
   */
  public static Set<Long> leftoverLines(
      JavaRDD<EncodedPair> pairs, long count, int batchSize, long seed) {
    int leftover = (int) (count % batchSize);
    if (leftover == 0) {
      return Set.of();
    }
    List<Tuple2<Long, Long>> ranked =
        pairs
            .map(p -> new Tuple2<>(Bucketing.leftoverRank(seed, p.line()), p.line()))
            .takeOrdered(leftover, new RankOrder());
    Set<Long> lines = new HashSet<>();
    ranked.forEach(t -> lines.add(t._2));
    return lines;
  }

  /**
   * Cuts {@code pairs} into batches ({@link BatchCuts}: exactly {@code bucketing.batchSize()} pairs
   * — the last batch may be smaller unless the count is a multiple — or as many as fit {@code
   * bucketing.batchTokens()}), and writes them into {@code dir}.
   *
   * @param shuffleSeed seed of the batch-to-file permutation, or null to keep length order
   * @return one entry per batch, indexed by file number
   */
  public static List<BatchStats> write(
      JavaSparkContext jsc,
      JavaRDD<EncodedPair> pairs,
      long count,
      Bucketing bucketing,
      Long shuffleSeed,
      String dir,
      int partitions) {
    if (count == 0) {
      return List.of();
    }
    BatchCuts cuts = cuts(pairs, bucketing);
    if (cuts.pairs() != count) {
      throw new IllegalStateException("expected " + count + " pairs, counted " + cuts.pairs());
    }
    int batches = cuts.batches();
    int[] fileOf = shuffleSeed == null ? null : Bucketing.shuffle(batches, shuffleSeed);
    Broadcast<int[]> files = jsc.broadcast(fileOf);
    Broadcast<long[]> starts = jsc.broadcast(cuts.starts());
    HadoopConf conf = new HadoopConf(jsc.hadoopConfiguration());
    List<Tuple2<Integer, BatchStats>> written =
        pairs
            .mapToPair(
                p ->
                    new Tuple2<>(
                        bucketing.sortKey(p.sourceLength(), p.targetLength(), p.line()), p))
            .sortByKey(true, partitions)
            .values()
            .zipWithIndex()
            .mapToPair(t -> new Tuple2<>(BatchCuts.batchOf(starts.value(), t._2), t))
            .groupByKey(partitions)
            .map(
                g -> {
                  List<Tuple2<EncodedPair, Long>> members = new ArrayList<>();
                  g._2.forEach(members::add);
                  members.sort(Comparator.comparingLong(Tuple2::_2));
                  List<EncodedPair> batch = new ArrayList<>(members.size());
                  members.forEach(m -> batch.add(m._1));
                  int[] perm = files.value();
                  int file = perm == null ? g._1 : perm[g._1];
                  Path path = new Path(dir, fileName(file));
                  FileSystem fs = path.getFileSystem(conf.get());
                  MessageDigest sha = MessageDigest.getInstance("SHA-256");
                  try (OutputStream out =
                      new BufferedOutputStream(
                          new DigestOutputStream(fs.create(path, true), sha), 1 << 16)) {
                    BatchBuilder.build(batch).save(out);
                  }
                  String hex = HexFormat.of().formatHex(sha.digest());
                  return new Tuple2<>(file, BatchStats.of(batch, bucketing).withSha256(hex));
                })
            .collect();
    starts.destroy();
    files.destroy();
    BatchStats[] byFile = new BatchStats[batches];
    for (Tuple2<Integer, BatchStats> w : written) {
      byFile[w._1] = w._2;
    }
    return List.of(byFile);
  }

  /**
   * The batch cuts of {@code pairs}: their padded shapes are counted on the executors (at most one
   * entry per (source length, target length)), the cuts computed on the driver.
   */
  public static BatchCuts cuts(JavaRDD<EncodedPair> pairs, Bucketing bucketing) {
    Map<Long, Long> shapes =
        pairs
            .map(
                p ->
                    Bucketing.shapeOf(
                        bucketing.sortKey(p.sourceLength(), p.targetLength(), p.line())))
            .countByValue();
    return BatchCuts.of(bucketing, new TreeMap<>(shapes));
  }

  /** Orders (rank, line) by rank, then line. */
  private static final class RankOrder implements Comparator<Tuple2<Long, Long>>, Serializable {
    private static final long serialVersionUID = 1L;

    @Override
    public int compare(Tuple2<Long, Long> a, Tuple2<Long, Long> b) {
      int c = Long.compare(a._1, b._1);
      return c != 0 ? c : Long.compare(a._2, b._2);
    }
  }
}
