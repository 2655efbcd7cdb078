package org.sparknmt.jobs.prep;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.sparknmt.jobs.UserError;
import org.sparknmt.prep.clean.PairRecord;
import org.sparknmt.prep.spark.CorpusCleaner;
import org.sparknmt.prep.spark.InputFiles;
import org.sparknmt.prep.spark.ParallelCorpusReader;
import org.sparknmt.prep.spark.ParallelCorpusReader.Corpus;

/**
 * Cleaned corpus parts kept by content ({@code sparknmt.data.part-cache}): a TSV training input
 * that is a directory of parts is cleaned part by part, and each part's normalised and filtered
 * pairs are stored under {@code CACHE/<sha256 of the part>-<hash of the cleaning settings>/}. A
 * later corpus step (a retraining on a snapshot that grew by new parts) reads the parts it has seen
 * from there and cleans only the new ones. Duplicates are judged afterwards over the whole corpus,
 * so the result is the same as cleaning the corpus in one piece.
 *
 * <p>Each entry is written to a temporary directory and renamed when complete: an entry exists
 * whole or not at all. Records keep their line number within the part; {@link #clean} renumbers
 * them corpus-wide in part order, as reading the directory in one piece would.
 */
final class PartCache {
  private static final Logger LOG = LoggerFactory.getLogger(PartCache.class);
  private static final ObjectMapper JSON =
      new ObjectMapper().enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS);
  static final String PAIRS = "pairs";
  static final String INFO = "part.json";

  /**
   * The cleaned training corpus.
   *
   * @param pairs every input pair once, kept or with its reason, numbered corpus-wide
   * @param sha256 of each part, in {@code files} order
   * @param reused parts read from the cache
   * @param cleaned parts cleaned by this call (and added to the cache)
   */
  record Cleaned(
      JavaRDD<PairRecord> pairs,
      long lines,
      List<String> files,
      List<Long> fileLines,
      List<String> sha256,
      int reused,
      int cleaned) {}

  private PartCache() {}

  static Cleaned clean(JavaSparkContext jsc, ParallelCorpusReader reader, PrepConfig cfg) {
    if (cfg.tsv().isEmpty()) {
      throw new UserError(
          "sparknmt.data.part-cache needs the training corpus as TSV parts (--tsv DIR): parts of"
              + " two line-aligned inputs cannot be cleaned one by one");
    }
    Configuration conf = jsc.hadoopConfiguration();
    List<String> files = InputFiles.resolve(cfg.tsv(), conf);
    List<String> hashes = InputFiles.sha256(jsc, files);
    String settings = settingsHash(cfg);
    List<JavaRDD<PairRecord>> parts = new ArrayList<>();
    List<Long> fileLines = new ArrayList<>();
    long offset = 0;
    int reused = 0;
    int cleaned = 0;
    try {
      Path cache = new Path(cfg.partCache());
      FileSystem fs = cache.getFileSystem(conf);
      for (int i = 0; i < files.size(); i++) {
        Path entry = new Path(cache, hashes.get(i) + "-" + settings);
        if (fs.exists(new Path(entry, INFO))) {
          reused++;
        } else {
          write(jsc, reader, cfg, files.get(i), hashes.get(i), entry);
          cleaned++;
        }
        long lines = readLines(fs, entry);
        long first = offset;
        parts.add(
            PairFiles.read(jsc, new Path(entry, PAIRS).toString())
                .map(r -> new PairRecord(r.line() + first, r.source(), r.target(), r.reason())));
        fileLines.add(lines);
        offset += lines;
      }
    } catch (IOException e) {
      throw new UserError("cannot use the part cache " + cfg.partCache() + ": " + e, e);
    }
    LOG.info(
        "corpus: {} part(s) of {}: {} cleaned earlier (part cache {}), {} cleaned now",
        files.size(),
        cfg.tsv(),
        reused,
        cfg.partCache(),
        cleaned);
    @SuppressWarnings({"unchecked", "rawtypes"}) // JavaSparkContext.union takes a generic varargs
    JavaRDD<PairRecord> all = jsc.union(parts.toArray(new JavaRDD[0]));
    JavaRDD<PairRecord> result = cfg.dropDuplicates() ? CorpusCleaner.dropDuplicates(all) : all;
    return new Cleaned(result, offset, files, fileLines, hashes, reused, cleaned);
  }

  /** Reads, validates and cleans one part into a new cache entry (complete or absent). */
  private static void write(
      JavaSparkContext jsc,
      ParallelCorpusReader reader,
      PrepConfig cfg,
      String file,
      String sha256,
      Path entry) {
    Corpus part = reader.readTsv(file);
    try (StagedOutput staged =
        StagedOutput.begin(entry.toString(), false, jsc.hadoopConfiguration())) {
      JavaRDD<PairRecord> filtered =
          CorpusCleaner.normalizeAndFilter(part.pairs(), cfg.normalizer(), cfg.filter());
      PairFiles.write(filtered, staged.path(PAIRS), filtered.getNumPartitions());
      Map<String, Object> info = new LinkedHashMap<>();
      info.put("file", file);
      info.put("sha256", sha256);
      info.put("lines", part.lines());
      info.put("settings", cleaningSettings(cfg));
      staged.writeJson(INFO, info);
      staged.commit();
    } finally {
      part.release();
    }
  }

  private static long readLines(FileSystem fs, Path entry) throws IOException {
    try (var in = fs.open(new Path(entry, INFO))) {
      JsonNode info = JSON.readTree(in);
      if (!info.path("lines").canConvertToLong()) {
        throw new UserError("damaged part-cache entry " + entry + ": no line count in " + INFO);
      }
      return info.path("lines").asLong();
    }
  }

  /**
   * The settings a cleaned part depends on: normalisation, the per-pair filters and what happens to
   * invalid lines (duplicates are judged corpus-wide, after the cache).
   */
  static Map<String, Object> cleaningSettings(PrepConfig cfg) {
    @SuppressWarnings("unchecked")
    Map<String, Object> data = (Map<String, Object>) cfg.resolved().get("data");
    Map<String, Object> s = new TreeMap<>();
    s.put("normalize", data.get("normalize"));
    @SuppressWarnings("unchecked")
    Map<String, Object> filter = new TreeMap<>((Map<String, Object>) data.get("filter"));
    filter.remove("duplicates");
    s.put("filter", filter);
    s.put("on-invalid-line", data.get("on-invalid-line"));
    return s;
  }

  /** First 12 hex digits of the SHA-256 of {@link #cleaningSettings} as canonical JSON. */
  static String settingsHash(PrepConfig cfg) {
    try {
      byte[] json = JSON.writeValueAsString(cleaningSettings(cfg)).getBytes(StandardCharsets.UTF_8);
      return HexFormat.of()
          .formatHex(MessageDigest.getInstance("SHA-256").digest(json))
          .substring(0, 12);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
