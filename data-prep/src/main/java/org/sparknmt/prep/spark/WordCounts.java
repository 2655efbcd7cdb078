package org.sparknmt.prep.spark;

import java.util.HashMap;
import java.util.Map;
import org.apache.spark.api.java.JavaRDD;
import org.sparknmt.prep.bpe.PreTokenizer;
import scala.Tuple2;

/** Pre-token frequencies of a set of sentences, counted on the executors (for joint BPE). */
public final class WordCounts {
  private WordCounts() {}

  /**
   * Frequencies of {@link PreTokenizer#words} over all {@code sentences}, collected to the driver.
   */
  public static Map<String, Long> count(JavaRDD<String> sentences) {
    Map<String, Long> counts =
        sentences
            .flatMap(s -> PreTokenizer.words(s).iterator())
            .mapToPair(w -> new Tuple2<>(w, 1L))
            .reduceByKey(Long::sum)
            .collectAsMap();
    return new HashMap<>(counts);
  }
}
