package org.sparknmt.jobs.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.nd4j.linalg.dataset.api.MultiDataSet;
import org.sparknmt.jobs.UserError;
import org.sparknmt.prep.bpe.BpeModel;
import org.sparknmt.prep.spark.ShardWriter;

/**
 * A shard directory written by the corpus pipeline ({@code ShardJob}), as training reads it: {@code
 * manifest.json}, {@code train/batch-*.bin} (one minibatch each: fitting {@code batchTokens}, or
 * exactly {@code batchSizePerWorker} pairs when that is 0), the BPE files under {@code bpe/}, and
 * the evaluation sets {@code dev/}, {@code test/} (batches plus source and reference text in line
 * order).
 */
public final class ShardSet {
  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(ShardSet.class);

  private static final ObjectMapper JSON = new ObjectMapper();

  private final Path dir;
  private final FileSystem fs;
  private final JsonNode manifest;

  private ShardSet(Path dir, FileSystem fs, JsonNode manifest) {
    this.dir = dir;
    this.fs = fs;
    this.manifest = manifest;
  }

  /** Opens the shard directory {@code uri}; a missing or unreadable manifest is a user error. */
  public static ShardSet open(URI uri, Configuration conf) {
    try {
      FileSystem fs = FileSystem.get(uri, conf);
      Path dir = fs.makeQualified(new Path(uri));
      Path m = new Path(dir, "manifest.json");
      if (!fs.exists(m)) {
        throw new UserError(
            "no shard manifest at "
                + m
                + ": run the corpus pipeline (PrepareJob --steps corpus,vocab,shard) first");
      }
      try (InputStream in = fs.open(m)) {
        JsonNode manifest = JSON.readTree(in);
        if (!"sparknmt-shards/1".equals(manifest.path("format").asText())) {
          throw new UserError(m + " is not a sparknmt-shards/1 manifest");
        }
        return new ShardSet(dir, fs, manifest);
      }
    } catch (IOException e) {
      throw new UserError("cannot read the shard manifest under " + uri + ": " + e.getMessage(), e);
    }
  }

  public URI uri() {
    return dir.toUri();
  }

  public JsonNode manifest() {
    return manifest;
  }

  /** Pairs in the largest training batch (all of them when batches are cut by pair count). */
  public int batchSizePerWorker() {
    return manifest.path("batchSizePerWorker").asInt();
  }

  /** SHA-256 of manifest.json (provenance: which data a model was trained on). */
  public String manifestSha256() {
    try (InputStream in = fs.open(new Path(dir, "manifest.json"))) {
      return org.sparknmt.jobs.store.Manifest.sha256(in);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public String bpeSha256() {
    return manifest.path("bpe").path("sha256").asText();
  }

  /** The batch files of {@code set} ("train", "dev", "test"), sorted by name, as full URIs. */
  public List<String> batchPaths(String set) {
    try {
      Path setDir = new Path(dir, set);
      if (!fs.exists(setDir)) {
        return List.of();
      }
      FileStatus[] files = fs.listStatus(setDir, p -> p.getName().startsWith("batch-"));
      List<String> paths = new ArrayList<>();
      for (FileStatus f : files) {
        paths.add(f.getPath().toString());
      }
      paths.sort(null);
      long expected = manifest.path(set).path("batches").asLong(-1);
      if (expected >= 0 && expected != paths.size()) {
        throw new UserError(
            "shard "
                + setDir
                + " has "
                + paths.size()
                + " batch files, the manifest says "
                + expected);
      }
      return paths;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * The work in each batch file of {@code set}, as padded positions {@code pairs × (S + T)} by full
   * URI (as {@link #batchPaths} names them), from {@code set/index.tsv}; empty for a shard written
   * before the index existed (then every batch counts the same).
   */
  public Map<String, Long> batchWork(String set) {
    Map<String, Long> work = new LinkedHashMap<>();
    for (Map.Entry<String, String[]> e : indexRows(set).entrySet()) {
      String[] f = e.getValue();
      try {
        long pairs = Long.parseLong(f[1]);
        work.put(e.getKey(), pairs * (Long.parseLong(f[2]) + Long.parseLong(f[3])));
      } catch (RuntimeException ex) {
        throw new UserError(
            "malformed row in "
                + new Path(new Path(dir, set), ShardWriter.INDEX_FILE)
                + ": '"
                + String.join("\t", f)
                + "'",
            ex);
      }
    }
    return work;
  }

  /**
   * Checks every batch file of {@code set} against the SHA-256 its index recorded when it was
   * written, on the executors (each file is read once), so that a damaged or missing batch stops
   * the job before training instead of when it is reached, possibly hours in. Shards written before
   * the index had checksums are not checked (logged).
   *
   * @throws UserError naming the damaged and missing files
   */
  public void verifyBatches(org.apache.spark.api.java.JavaSparkContext sc, String set) {
    Map<String, String> sums = new LinkedHashMap<>();
    indexRows(set).forEach((uri, f) -> sums.put(uri, f.length > 6 ? f[6] : ""));
    if (sums.isEmpty() || sums.containsValue("")) {
      LOG.warn(
          "{}/{} has no batch checksums (written by an older version): not verified", dir, set);
      return;
    }
    long start = System.nanoTime();
    org.sparknmt.prep.spark.HadoopConf conf =
        new org.sparknmt.prep.spark.HadoopConf(sc.hadoopConfiguration());
    List<Map.Entry<String, String>> files = new java.util.ArrayList<>(sums.entrySet());
    int slices = Math.max(1, Math.min(files.size(), sc.defaultParallelism() * 4));
    List<String> problems =
        sc.parallelize(
                files.stream().map(e -> new scala.Tuple2<>(e.getKey(), e.getValue())).toList(),
                slices)
            .flatMap(
                f -> {
                  Path p = new Path(f._1());
                  FileSystem fs = p.getFileSystem(conf.get());
                  if (!fs.exists(p)) {
                    return List.of(p.getName() + " is missing").iterator();
                  }
                  String actual;
                  try (java.io.InputStream in = fs.open(p)) {
                    actual = org.sparknmt.jobs.store.Manifest.sha256(in);
                  } catch (org.apache.hadoop.fs.ChecksumException e) {
                    // the file system's own block checksums caught it first (HDFS, local .crc)
                    return List.of(p.getName() + " fails its file system checksum").iterator();
                  }
                  return actual.equals(f._2())
                      ? java.util.Collections.<String>emptyIterator()
                      : List.of(
                              p.getName() + " has sha256 " + actual + ", the index says " + f._2())
                          .iterator();
                })
            .collect();
    if (!problems.isEmpty()) {
      List<String> shown = problems.stream().sorted().limit(10).toList();
      throw new UserError(
          "damaged shards: "
              + problems.size()
              + " of "
              + files.size()
              + " batch files in "
              + new Path(dir, set)
              + " do not match "
              + ShardWriter.INDEX_FILE
              + ": "
              + String.join("; ", shown)
              + (problems.size() > shown.size() ? "; …" : "")
              + " (prepare the shards again: the shard step with sparknmt.data.overwrite = true)");
    }
    LOG.info(
        "verified {} batch files of {}/{} in {} ms",
        files.size(),
        dir,
        set,
        (System.nanoTime() - start) / 1_000_000);
  }

  /**
   * The rows of {@code set/index.tsv} (file, pairs, S, T, source tokens, target tokens, sha256)
   * split into fields, by full batch URI (as {@link #batchPaths} names them); empty for a shard
   * written before the index existed.
   */
  private Map<String, String[]> indexRows(String set) {
    Path setDir = new Path(dir, set);
    try {
      if (!fs.exists(new Path(setDir, ShardWriter.INDEX_FILE))) {
        return Map.of();
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    List<String> rows = lines(readText(set + "/" + ShardWriter.INDEX_FILE));
    Map<String, String[]> out = new LinkedHashMap<>();
    for (String row : rows.subList(1, rows.size())) {
      String[] f = row.split("\t", -1);
      out.put(new Path(setDir, f[0]).toString(), f);
    }
    return out;
  }

  /** Mean real target tokens per training batch (for tokens/s). */
  public double targetTokensPerTrainBatch() {
    JsonNode train = manifest.path("train");
    return train.path("tokens").path("target").asDouble()
        / Math.max(1, train.path("batches").asLong());
  }

  public boolean has(String set) {
    return manifest.has(set);
  }

  /** The BPE files of the shard (name → content). */
  public Map<String, String> bpeFiles() {
    Map<String, String> files = new LinkedHashMap<>();
    for (JsonNode name : manifest.path("bpe").path("files")) {
      files.put(name.asText(), readText("bpe/" + name.asText()));
    }
    return files;
  }

  public BpeModel bpe() {
    return BpeModel.fromFiles(bpeFiles());
  }

  /** A text file of an evaluation set, e.g. {@code textUri("test", "source.txt")}. */
  public URI textUri(String set, String file) {
    return new Path(new Path(dir, set), file).toUri();
  }

  /** Source lines of an evaluation set, in line order. */
  public List<String> sourceText(String set) {
    return lines(readText(set + "/source.txt"));
  }

  /** Reference lines of an evaluation set, in line order. */
  public List<String> referenceText(String set) {
    return lines(readText(set + "/reference.txt"));
  }

  /** Loads the batches of an evaluation set (small: dev/test) on the driver. */
  public List<MultiDataSet> loadBatches(String set) {
    List<MultiDataSet> out = new ArrayList<>();
    for (String p : batchPaths(set)) {
      org.nd4j.linalg.dataset.MultiDataSet mds = new org.nd4j.linalg.dataset.MultiDataSet();
      try (InputStream in = fs.open(new Path(p))) {
        mds.load(in);
      } catch (IOException e) {
        throw new UncheckedIOException("cannot read batch " + p, e);
      }
      out.add(mds);
    }
    return out;
  }

  private String readText(String rel) {
    Path p = new Path(dir, rel);
    try (InputStream in = fs.open(p)) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UserError("cannot read " + p + ": " + e.getMessage(), e);
    }
  }

  private static List<String> lines(String text) {
    if (text.isEmpty()) {
      return List.of();
    }
    String t = text.endsWith("\n") ? text.substring(0, text.length() - 1) : text;
    return Arrays.asList(t.split("\n", -1));
  }
}
