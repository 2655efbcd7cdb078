package org.sparknmt.jobs.store;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Collections;
import java.util.Iterator;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import org.sparknmt.jobs.BuildInfo;
import org.sparknmt.jobs.UserError;

/**
 * Where a model came from ({@code provenance.json} of a bundle).
 *
 * @param codeVersion version of this system that trained the model
 * @param libraries library name → version (Spark, Hadoop, DL4J, dl4j-spark, Scala, Java)
 * @param data input name → SHA-256 (e.g. the shard manifest, the BPE merges, the corpus snapshot)
 * @param start when training started
 * @param end when the bundle was made
 * @param clusterSize number of executors (workers) that trained it; 1 for a single JVM
 * @param extra free-form facts the caller wants recorded (run directory, Spark master, ...)
 */
public record Provenance(
    String codeVersion,
    SortedMap<String, String> libraries,
    SortedMap<String, String> data,
    Instant start,
    Instant end,
    int clusterSize,
    SortedMap<String, String> extra) {

  private static final ObjectMapper JSON =
      new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  public Provenance {
    if (codeVersion == null || start == null || end == null) {
      throw new IllegalArgumentException("codeVersion, start and end are required");
    }
    if (end.isBefore(start)) {
      throw new IllegalArgumentException("end " + end + " is before start " + start);
    }
    if (clusterSize < 1) {
      throw new IllegalArgumentException("cluster size must be at least 1, got " + clusterSize);
    }
    libraries = Collections.unmodifiableSortedMap(new TreeMap<>(libraries));
    data = Collections.unmodifiableSortedMap(new TreeMap<>(data));
    extra = Collections.unmodifiableSortedMap(new TreeMap<>(extra));
  }

  /**
   * Provenance of a model trained by this build: code and library versions come from {@link
   * BuildInfo} and the running JVM, the rest from the caller.
   */
  public static Provenance of(
      Map<String, String> dataHashes,
      Instant start,
      Instant end,
      int clusterSize,
      Map<String, String> extra) {
    SortedMap<String, String> libs = new TreeMap<>();
    for (String lib : new String[] {"spark", "hadoop", "dl4j", "dl4jspark", "scala.binary"}) {
      libs.put(lib, BuildInfo.get(lib + ".version"));
    }
    libs.put("java", System.getProperty("java.version"));
    return new Provenance(
        BuildInfo.version(),
        libs,
        new TreeMap<>(dataHashes),
        start,
        end,
        clusterSize,
        new TreeMap<>(extra));
  }

  /** {@code provenance.json} content. */
  public String toJson() {
    ObjectNode root = JSON.createObjectNode();
    root.put("codeVersion", codeVersion);
    root.set("libraries", JSON.valueToTree(libraries));
    root.set("data", JSON.valueToTree(data));
    root.put("start", start.toString());
    root.put("end", end.toString());
    root.put("clusterSize", clusterSize);
    root.set("extra", JSON.valueToTree(extra));
    try {
      return JSON.writeValueAsString(root) + "\n";
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot serialise provenance", e);
    }
  }

  /** Parses {@code provenance.json}; {@code where} names the file in the error message. */
  public static Provenance fromJson(String json, String where) {
    try {
      JsonNode root = JSON.readTree(json);
      return new Provenance(
          text(root, "codeVersion"),
          strings(root.path("libraries")),
          strings(root.path("data")),
          Instant.parse(text(root, "start")),
          Instant.parse(text(root, "end")),
          root.path("clusterSize").asInt(0),
          strings(root.path("extra")));
    } catch (JsonProcessingException | DateTimeParseException | IllegalArgumentException e) {
      throw new UserError(where + " is not valid provenance: " + e.getMessage(), e);
    }
  }

  private static String text(JsonNode root, String field) {
    JsonNode n = root.get(field);
    if (n == null || !n.isTextual()) {
      throw new IllegalArgumentException("missing text field " + field);
    }
    return n.asText();
  }

  private static SortedMap<String, String> strings(JsonNode obj) {
    SortedMap<String, String> out = new TreeMap<>();
    for (Iterator<Map.Entry<String, JsonNode>> it = obj.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      out.put(e.getKey(), e.getValue().asText());
    }
    return out;
  }
}
