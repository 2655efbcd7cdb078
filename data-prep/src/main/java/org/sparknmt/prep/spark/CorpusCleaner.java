package org.sparknmt.prep.spark;

import java.util.ArrayList;
import java.util.List;
import org.apache.spark.api.java.JavaRDD;
import org.sparknmt.prep.clean.Normalizer;
import org.sparknmt.prep.clean.PairFilter;
import org.sparknmt.prep.clean.PairRecord;
import org.sparknmt.prep.clean.RejectReason;
import scala.Tuple2;

/**
 * Normalises and filters a corpus on the executors: every input record comes out exactly once,
 * either kept or with its {@link RejectReason}, so kept + rejected = input by construction. Records
 * already rejected by the reader keep their reason and their raw text.
 */
public final class CorpusCleaner {
  private CorpusCleaner() {}

  /**
   * @param dropDuplicates reject exact repeats of a kept (source, target) pair; the pair on the
   *     lowest line number is kept
   */
  public static JavaRDD<PairRecord> clean(
      JavaRDD<PairRecord> raw, Normalizer normalizer, PairFilter filter, boolean dropDuplicates) {
    JavaRDD<PairRecord> filtered = normalizeAndFilter(raw, normalizer, filter);
    return dropDuplicates ? dropDuplicates(filtered) : filtered;
  }

  /**
   * The per-pair half of {@link #clean}: normalises each kept pair and judges it by {@code filter}
   * alone, so a part of a corpus can be cleaned once and reused (see the corpus step's part cache).
   */
  public static JavaRDD<PairRecord> normalizeAndFilter(
      JavaRDD<PairRecord> raw, Normalizer normalizer, PairFilter filter) {
    return raw.map(
        r -> {
          if (!r.isKept()) {
            return r;
          }
          String s = normalizer.normalize(r.source());
          String t = normalizer.normalize(r.target());
          return new PairRecord(r.line(), s, t, filter.check(s, t));
        });
  }

  /**
   * The corpus-wide half of {@link #clean}: rejects exact repeats of a kept (source, target) pair
   * as {@link RejectReason#DUPLICATE}; the pair on the lowest line number is kept.
   */
  public static JavaRDD<PairRecord> dropDuplicates(JavaRDD<PairRecord> filtered) {
    JavaRDD<PairRecord> rejected = filtered.filter(r -> !r.isKept());
    JavaRDD<PairRecord> deduplicated =
        filtered
            .filter(PairRecord::isKept)
            .mapToPair(r -> new Tuple2<>(new Tuple2<>(r.source(), r.target()), r.line()))
            .groupByKey()
            .flatMap(
                g -> {
                  List<Long> lines = new ArrayList<>();
                  g._2.forEach(lines::add);
                  long first = lines.stream().mapToLong(Long::longValue).min().orElseThrow();
                  List<PairRecord> out = new ArrayList<>(lines.size());
                  for (long line : lines) {
                    out.add(
                        new PairRecord(
                            line, g._1._1, g._1._2, line == first ? null : RejectReason.DUPLICATE));
                  }
                  return out.iterator();
                });
    return rejected.union(deduplicated);
  }
}
