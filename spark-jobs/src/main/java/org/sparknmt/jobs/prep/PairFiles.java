package org.sparknmt.jobs.prep;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.UncheckedIOException;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.sparknmt.prep.clean.PairRecord;
import org.sparknmt.prep.clean.RejectReason;

/**
 * Sentence pairs as directories of JSON-lines part files, one object per line: {@code {"line": 12,
 * "source": "...", "target": "..."}} plus {@code "reason"} for rejects. JSON keeps any text (tabs,
 * odd characters) intact and stays readable with {@code zcat}/{@code jq}; plain RDD text output
 * keeps Spark SQL's start-up cost out of the pipeline.
 */
final class PairFiles {
  private static final ObjectMapper JSON = new ObjectMapper();

  private PairFiles() {}

  /** Writes {@code pairs} sorted by line number (reasons included for rejected pairs). */
  static void write(JavaRDD<PairRecord> pairs, String path, int partitions) {
    pairs
        .sortBy(PairRecord::line, true, Math.max(1, partitions))
        .map(PairFiles::toJson)
        .saveAsTextFile(path);
  }

  /** Reads pairs written by {@link #write}. */
  static JavaRDD<PairRecord> read(JavaSparkContext jsc, String path) {
    return jsc.textFile(path).map(PairFiles::fromJson);
  }

  static String toJson(PairRecord r) {
    ObjectNode o = JSON.createObjectNode();
    o.put("line", r.line());
    if (!r.isKept()) {
      o.put("reason", r.reason().code());
    }
    o.put("source", r.source());
    o.put("target", r.target());
    try {
      return JSON.writeValueAsString(o);
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new UncheckedIOException(e);
    }
  }

  static PairRecord fromJson(String line) {
    try {
      JsonNode o = JSON.readTree(line);
      RejectReason reason = null;
      if (o.has("reason")) {
        String code = o.get("reason").asText();
        for (RejectReason r : RejectReason.values()) {
          if (r.code().equals(code)) {
            reason = r;
          }
        }
      }
      return new PairRecord(
          o.get("line").asLong(), o.get("source").asText(), o.get("target").asText(), reason);
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new UncheckedIOException(e);
    }
  }
}
