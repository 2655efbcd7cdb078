package org.sparknmt.prep.spark;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.api.java.JavaRDD;
import org.sparknmt.prep.bpe.PreTokenizer;
import scala.Tuple2;

/** Pre-token frequencies of a set of sentences, counted on the executors (for joint BPE). */
public final class WordCounts {
  private WordCounts() {}

  /**
   * Frequencies of {@link PreTokenizer#words} over all {@code sentences}, collected to the driver.
   * Each partition is counted in a local hash map first, so only distinct words are shuffled.
   */
  public static Map<String, Long> count(JavaRDD<String> sentences) {
    Map<String, Long> counts =
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
            .reduceByKey(Long::sum)
            .collectAsMap();
    return new HashMap<>(counts);
  }
}
