package org.sparknmt.prep.spark;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.api.java.JavaPairRDD;
import org.apache.spark.api.java.JavaRDD;
import org.sparknmt.prep.bpe.PreTokenizer;
import scala.Tuple2;

/** Pre-token frequencies of a set of sentences, counted on the executors (for joint BPE). */
public final class WordCounts {
  private WordCounts() {}

  /**
   * The counts that reached the driver.
   *
   * @param counts pre-token → frequency, at most the bound's number of entries
   * @param distinct distinct pre-tokens in the corpus
   * @param minCountKept the smallest frequency kept (0 if none)
   */
  public record Counted(Map<String, Long> counts, long distinct, long minCountKept) {
    /** Whether rarer pre-tokens were left out by the bound. */
    public boolean pruned() {
      return counts.size() < distinct;
    }
  }

  /**
   * Frequencies of {@link PreTokenizer#words} over all {@code sentences}, the {@code maxWords} most
   * frequent of them collected to the driver (ties by word, so the choice is deterministic; 0 =
   * all). Each partition is counted in a local hash map first, so only distinct words are shuffled;
   * the bound is applied on the executors ({@code takeOrdered}), so the driver never holds more
   * than about {@code maxWords} entries per partition being merged, however large the corpus. BPE
   * learnt from the most frequent words only loses merges that only rare words would make
   * (SentencePiece bounds its input the same way, by sampling sentences).
   */
  public static Counted count(JavaRDD<String> sentences, int maxWords) {
    JavaPairRDD<String, Long> all =
        sentences
            .mapPartitionsToPair(
                it -> {
                  HashMap<String, long[]> local = new HashMap<>();
                  while (it.hasNext()) {
                    for (String w : PreTokenizer.words(it.next())) {
                      local.computeIfAbsent(w, k -> new long[1])[0]++;
                    }
                  }
                  List<Tuple2<String, Long>> out = new ArrayList<>(local.size());
                  local.forEach((w, c) -> out.add(new Tuple2<>(w, c[0])));
                  return out.iterator();
                })
            .reduceByKey(Long::sum);
    // the second action reuses the shuffle's map output: the corpus is read once
    long distinct = all.count();
    Map<String, Long> counts = new HashMap<>();
    if (maxWords == 0 || distinct <= maxWords) {
      counts.putAll(all.collectAsMap());
    } else {
      for (Tuple2<String, Long> t : all.takeOrdered(maxWords, new MostFrequentFirst())) {
        counts.put(t._1(), t._2());
      }
    }
    long min = counts.values().stream().mapToLong(Long::longValue).min().orElse(0);
    return new Counted(counts, distinct, min);
  }

  /** Higher count first, then the word. */
  private static final class MostFrequentFirst
      implements Comparator<Tuple2<String, Long>>, Serializable {
    private static final long serialVersionUID = 1L;

    @Override
    public int compare(Tuple2<String, Long> a, Tuple2<String, Long> b) {
      int byCount = Long.compare(b._2(), a._2());
      return byCount != 0 ? byCount : a._1().compareTo(b._1());
    }
  }
}
