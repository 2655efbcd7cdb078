package org.sparknmt.prep.spark;

import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.Serializable;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.Partitioner;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.sparknmt.prep.shard.BatchBuilder;
import org.sparknmt.prep.shard.BatchCuts;
import org.sparknmt.prep.shard.BatchStats;
import org.sparknmt.prep.shard.Bucketing;
import org.sparknmt.prep.shard.EncodedPair;
import org.sparknmt.prep.shard.PartPlan;
import org.sparknmt.prep.shard.PartStats;
import scala.Tuple2;

/**
 * Cuts encoded pairs into length-bucketed batches (see {@link Bucketing}) and packs their {@code
 * MultiDataSet.save(OutputStream)} bytes into a few large part files ({@code part-NNNNN.bin}, at
 * most {@code maxPartBytes} each), from the executors, under a directory on any Hadoop URI. Batches
 * hold a fixed number of pairs or fit a token budget ({@link BatchCuts}). The batches are numbered
 * in the order they are stored (part by part, offset by offset): a seeded shuffle for training
 * sets, the length order for evaluation sets. The driver plans the parts from the batches' exact
 * sizes ({@link BatchBuilder#serializedBytes}, {@link PartPlan}); each part is written by one task,
 * in one pass, computing the SHA-256 of every batch and of the whole part.
 */
public final class ShardWriter {
  private ShardWriter() {}

  /** The name of part file {@code i}. */
  public static String partName(int i) {
    return String.format("part-%05d.bin", i);
  }

  /** What {@link #write} wrote: every batch (in batch order, with its location) and every part. */
  public record Written(List<BatchStats> batches, List<PartStats> parts) {}

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
   * bucketing.batchTokens()}), and packs them into part files in {@code dir}.
   *
   * @param shuffleSeed seed of the batch order, or null to keep length order
   * @param partitions partitions of the sort (the parts are written by as many writers as there are
   *     parts: at least Spark's default parallelism when there are that many batches)
   * @param maxPartBytes size limit of a part file (a single larger batch is a part by itself)
   */
  public static Written write(
      JavaSparkContext jsc,
      JavaRDD<EncodedPair> pairs,
      long count,
      Bucketing bucketing,
      Long shuffleSeed,
      String dir,
      int partitions,
      long maxPartBytes) {
    if (count == 0) {
      return new Written(List.of(), List.of());
    }
    TreeMap<Long, Long> shapes = shapes(pairs, bucketing);
    BatchCuts cuts = BatchCuts.of(bucketing, shapes);
    if (cuts.pairs() != count) {
      throw new IllegalStateException("expected " + count + " pairs, counted " + cuts.pairs());
    }
    int batches = cuts.batches();
    int[] numberOf = shuffleSeed == null ? null : Bucketing.shuffle(batches, shuffleSeed);
    long[] sortedBytes = serializedBytes(cuts, shapes);
    long[] bytes = new long[batches];
    for (int i = 0; i < batches; i++) {
      bytes[numberOf == null ? i : numberOf[i]] = sortedBytes[i];
    }
    int[] partOf = PartPlan.partOf(bytes, maxPartBytes, jsc.defaultParallelism());
    Broadcast<int[]> numbers = jsc.broadcast(numberOf);
    Broadcast<long[]> starts = jsc.broadcast(cuts.starts());
    HadoopConf conf = new HadoopConf(jsc.hadoopConfiguration());
    List<PartStats> parts =
        pairs
            .mapToPair(
                p ->
                    new Tuple2<>(
                        bucketing.sortKey(p.sourceLength(), p.targetLength(), p.line()), p))
            .sortByKey(true, partitions)
            .values()
            .zipWithIndex()
            .mapToPair(
                t -> {
                  int sorted = BatchCuts.batchOf(starts.value(), t._2);
                  int[] perm = numbers.value();
                  return new Tuple2<>(perm == null ? sorted : perm[sorted], t);
                })
            .groupByKey(new PartPartitioner(partOf))
            .mapPartitionsWithIndex(
                (part, groups) -> writePart(part, groups, bucketing, dir, conf), true)
            .collect();
    starts.destroy();
    numbers.destroy();
    return written(parts, bytes, maxPartBytes);
  }

  /** Writes the batches of one part, in batch order, into {@code dir/part-NNNNN.bin}. */
  private static Iterator<PartStats> writePart(
      int part,
      Iterator<Tuple2<Integer, Iterable<Tuple2<EncodedPair, Long>>>> groups,
      Bucketing bucketing,
      String dir,
      HadoopConf conf)
      throws Exception {
    TreeMap<Integer, List<Tuple2<EncodedPair, Long>>> byNumber = new TreeMap<>();
    groups.forEachRemaining(
        g -> {
          List<Tuple2<EncodedPair, Long>> members = new ArrayList<>();
          g._2.forEach(members::add);
          members.sort(Comparator.comparingLong(Tuple2::_2));
          byNumber.put(g._1, members);
        });
    if (byNumber.isEmpty()) {
      return Collections.emptyIterator();
    }
    String name = partName(part);
    Path path = new Path(dir, name);
    FileSystem fs = path.getFileSystem(conf.get());
    MessageDigest partSha = MessageDigest.getInstance("SHA-256");
    List<BatchStats> written = new ArrayList<>(byNumber.size());
    long offset = 0;
    try (OutputStream out =
        new BufferedOutputStream(new DigestOutputStream(fs.create(path, true), partSha), 1 << 16)) {
      for (List<Tuple2<EncodedPair, Long>> members : byNumber.values()) {
        List<EncodedPair> batch = new ArrayList<>(members.size());
        members.forEach(m -> batch.add(m._1));
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        BatchBuilder.build(batch).save(bytes);
        byte[] b = bytes.toByteArray();
        out.write(b);
        String sha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
        written.add(BatchStats.of(batch, bucketing).withLocation(name, offset, b.length, sha));
        offset += b.length;
      }
    }
    String sha = HexFormat.of().formatHex(partSha.digest());
    return List.of(new PartStats(name, byNumber.firstKey(), offset, sha, written)).iterator();
  }

  /** The parts' batches in batch order, checked against the plan. */
  private static Written written(List<PartStats> parts, long[] planned, long maxPartBytes) {
    List<PartStats> sorted = new ArrayList<>(parts);
    sorted.sort(Comparator.comparingInt(PartStats::firstBatch));
    List<BatchStats> batches = new ArrayList<>(planned.length);
    for (PartStats p : sorted) {
      if (p.bytes() > maxPartBytes && p.batches().size() > 1) {
        throw new IllegalStateException(
            p.name() + " has " + p.bytes() + " bytes > " + maxPartBytes);
      }
      for (BatchStats b : p.batches()) {
        int number = batches.size();
        if (b.length() != planned[number]) {
          throw new IllegalStateException(
              "batch " + number + " has " + b.length() + " bytes, planned " + planned[number]);
        }
        batches.add(b);
      }
    }
    if (batches.size() != planned.length) {
      throw new IllegalStateException(
          "wrote " + batches.size() + " batches, planned " + planned.length);
    }
    return new Written(List.copyOf(batches), List.copyOf(sorted));
  }

  /**
   * The exact serialized size of each batch, in sorted order, from the cuts and the pair count of
   * every shape (which is the pairs' sort order): a batch is padded to its longest source and
   * target.
   */
  static long[] serializedBytes(BatchCuts cuts, SortedMap<Long, Long> shapes) {
    int n = cuts.batches();
    int[] maxS = new int[n];
    int[] maxT = new int[n];
    long position = 0;
    int batch = 0;
    for (Map.Entry<Long, Long> e : shapes.entrySet()) {
      int s = Bucketing.sourceLengthOf(e.getKey());
      int t = Bucketing.targetLengthOf(e.getKey());
      long end = position + e.getValue();
      while (position < end) {
        long batchEnd = batch + 1 < n ? cuts.starts()[batch + 1] : cuts.pairs();
        maxS[batch] = Math.max(maxS[batch], s);
        maxT[batch] = Math.max(maxT[batch], t);
        position = Math.min(end, batchEnd);
        if (position == batchEnd) {
          batch++;
        }
      }
    }
    long[] bytes = new long[n];
    for (int i = 0; i < n; i++) {
      bytes[i] = BatchBuilder.serializedBytes(Math.toIntExact(cuts.size(i)), maxS[i], maxT[i]);
    }
    return bytes;
  }

  /**
   * The batch cuts of {@code pairs}: their padded shapes are counted on the executors (at most one
   * entry per (source length, target length)), the cuts computed on the driver.
   */
  public static BatchCuts cuts(JavaRDD<EncodedPair> pairs, Bucketing bucketing) {
    return BatchCuts.of(bucketing, shapes(pairs, bucketing));
  }

  /** The number of pairs of each padded shape, counted on the executors. */
  private static TreeMap<Long, Long> shapes(JavaRDD<EncodedPair> pairs, Bucketing bucketing) {
    Map<Long, Long> shapes =
        pairs
            .map(
                p ->
                    Bucketing.shapeOf(
                        bucketing.sortKey(p.sourceLength(), p.targetLength(), p.line())))
            .countByValue();
    return new TreeMap<>(shapes);
  }

  /** Sends each batch (keyed by its number) to the partition of its part. */
  private static final class PartPartitioner extends Partitioner {
    private static final long serialVersionUID = 1L;
    private final int[] partOf;

    PartPartitioner(int[] partOf) {
      this.partOf = partOf;
    }

    @Override
    public int numPartitions() {
      return partOf[partOf.length - 1] + 1;
    }

    @Override
    public int getPartition(Object batchNumber) {
      return partOf[(Integer) batchNumber];
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof PartPartitioner p && java.util.Arrays.equals(partOf, p.partOf);
    }

    @Override
    public int hashCode() {
      return java.util.Arrays.hashCode(partOf);
    }
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
