package org.sparknmt.jobs.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.nd4j.linalg.dataset.api.MultiDataSet;
import org.sparknmt.jobs.UserError;
import org.sparknmt.prep.bpe.BpeModel;
import org.sparknmt.prep.shard.BatchRef;
import org.sparknmt.prep.shard.ShardIndex;
import org.sparknmt.prep.spark.HadoopConf;
import org.sparknmt.prep.spark.PackedBatchReader;

/**
 * A shard directory written by the corpus pipeline ({@code ShardJob}), as training reads it: {@code
 * manifest.json} (format {@value ShardIndex#FORMAT}, with each set's part files and their
 * checksums), the training batches packed into {@code train/part-*.bin} and addressed by {@code
 * train/index.tsv} (one minibatch each: fitting {@code batchTokens}, or exactly {@code
 * batchSizePerWorker} pairs when that is 0), the BPE files under {@code bpe/}, and the evaluation
 * sets {@code dev/}, {@code test/} (the same, plus source and reference text in line order).
 *
 * <p>A batch is named by its reference {@code <part URI>#<offset>+<length>} ({@link BatchRef}); the
 * references of a set are listed in batch order, which is the order of the index.
 */
public final class ShardSet {
  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(ShardSet.class);

  private static final ObjectMapper JSON = new ObjectMapper();

  private final Path dir;
  private final FileSystem fs;
  private final JsonNode manifest;
  private final Map<String, List<ShardIndex.Row>> indexes = new java.util.HashMap<>();

  private ShardSet(Path dir, FileSystem fs, JsonNode manifest) {
    this.dir = dir;
    this.fs = fs;
    this.manifest = manifest;
  }

  /**
   * Opens the shard directory {@code uri}; a missing or unreadable manifest, or one of another
   * format version (shards written by an older version), is a user error.
   */
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
        String format = manifest.path("format").asText();
        if (!ShardIndex.FORMAT.equals(format)) {
          throw new UserError(
              m
                  + " is a shard manifest of format '"
                  + format
                  + "'"
                  + (format.equals("sparknmt-shards/1")
                      ? " (one file per batch, written by an older version)"
                      : "")
                  + "; this version reads "
                  + ShardIndex.FORMAT
                  + " (batches packed into part files): prepare the shards again (the shard step"
                  + " with sparknmt.data.overwrite = true)");
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

  /**
   * The batches of {@code set} ("train", "dev", "test") as references ({@link BatchRef} text: part
   * URI, offset, length), in batch order; empty for a set the shard does not have.
   */
  public List<String> batches(String set) {
    List<String> refs = new ArrayList<>();
    for (ShardIndex.Row row : index(set)) {
      refs.add(ref(set, row));
    }
    return refs;
  }

  /**
   * The work in each batch of {@code set}, as padded positions {@code pairs × (S + T)}, by
   * reference (as {@link #batches} names them).
   */
  public Map<String, Long> batchWork(String set) {
    Map<String, Long> work = new LinkedHashMap<>();
    for (ShardIndex.Row row : index(set)) {
      work.put(ref(set, row), row.work());
    }
    return work;
  }

  /**
   * Checks every part file of {@code set} against the SHA-256 the manifest recorded, and every
   * batch in it against the SHA-256 of its bytes in the index, on the executors (each part is read
   * once, front to back), so that a damaged or missing batch stops the job before training instead
   * of when it is reached, possibly hours in. The file system's own checksums (HDFS blocks, local
   * {@code .crc} files) are checked on the way.
   *
   * @throws UserError naming the damaged and missing parts, and the damaged batches in them
   */
  public void verifyBatches(org.apache.spark.api.java.JavaSparkContext sc, String set) {
    long start = System.nanoTime();
    List<PartCheck> checks = partChecks(set);
    if (checks.isEmpty()) {
      return;
    }
    HadoopConf conf = new HadoopConf(sc.hadoopConfiguration());
    List<String> problems =
        sc.parallelize(checks, checks.size())
            .flatMap(c -> c.problems(conf.get()).iterator())
            .collect();
    if (!problems.isEmpty()) {
      long damagedParts =
          problems.stream().map(pr -> pr.substring(0, pr.indexOf(':'))).distinct().count();
      List<String> shown = problems.stream().limit(10).toList();
      throw new UserError(
          "damaged shards: "
              + damagedParts
              + " of "
              + checks.size()
              + " part files in "
              + new Path(dir, set)
              + " do not match the manifest and "
              + ShardIndex.FILE
              + ": "
              + String.join("; ", shown)
              + (problems.size() > shown.size() ? "; …" : "")
              + " (prepare the shards again: the shard step with sparknmt.data.overwrite = true)");
    }
    LOG.info(
        "verified {} batches in {} part files of {}/{} in {} ms",
        checks.stream().mapToInt(c -> c.numbers.length).sum(),
        checks.size(),
        dir,
        set,
        (System.nanoTime() - start) / 1_000_000);
  }

  /** What to check in each part file of {@code set}: the manifest's parts with the index's rows. */
  private List<PartCheck> partChecks(String set) {
    Path setDir = new Path(dir, set);
    Map<String, List<Integer>> batchesOf = new LinkedHashMap<>();
    List<ShardIndex.Row> rows = index(set);
    for (int i = 0; i < rows.size(); i++) {
      batchesOf.computeIfAbsent(rows.get(i).part(), k -> new ArrayList<>()).add(i);
    }
    List<PartCheck> checks = new ArrayList<>();
    for (JsonNode part : manifest.path(set).path("parts")) {
      String name = part.path("file").asText();
      List<Integer> numbers = batchesOf.remove(name);
      if (numbers == null) {
        throw new UserError(
            new Path(setDir, ShardIndex.FILE)
                + " lists no batch in "
                + name
                + " (in the manifest)");
      }
      List<ShardIndex.Row> inPart = numbers.stream().map(rows::get).toList();
      checks.add(
          new PartCheck(
              new Path(setDir, name).toString(),
              name,
              part.path("bytes").asLong(),
              part.path("sha256").asText(),
              numbers.stream().mapToInt(Integer::intValue).toArray(),
              inPart.stream().mapToLong(ShardIndex.Row::offset).toArray(),
              inPart.stream().mapToLong(ShardIndex.Row::length).toArray(),
              inPart.stream().map(ShardIndex.Row::sha256).toArray(String[]::new)));
    }
    if (!batchesOf.isEmpty()) {
      throw new UserError(
          new Path(setDir, ShardIndex.FILE)
              + " lists batches in part files the manifest does not have: "
              + batchesOf.keySet());
    }
    return checks;
  }

  /**
   * One part file to check on an executor: its size and SHA-256 from the manifest, and the offset,
   * length and SHA-256 of each of its batches (in offset order) from the index. A plain class, not
   * a record: Spark's Kryo 4 cannot serialize records.
   */
  static final class PartCheck implements java.io.Serializable {
    private static final long serialVersionUID = 1L;
    private final String uri;
    private final String name;
    private final long bytes;
    private final String sha256;
    private final int[] numbers;
    private final long[] offsets;
    private final long[] lengths;
    private final String[] sha256s;

    PartCheck(
        String uri,
        String name,
        long bytes,
        String sha256,
        int[] numbers,
        long[] offsets,
        long[] lengths,
        String[] sha256s) {
      this.uri = uri;
      this.name = name;
      this.bytes = bytes;
      this.sha256 = sha256;
      this.numbers = numbers;
      this.offsets = offsets;
      this.lengths = lengths;
      this.sha256s = sha256s;
    }

    /**
     * Reads the part once and returns what is wrong with it, each problem starting with the part's
     * name and a colon; empty if it is intact.
     */
    List<String> problems(Configuration conf) throws IOException {
      Path p = new Path(uri);
      FileSystem fs = p.getFileSystem(conf);
      if (!fs.exists(p)) {
        return List.of(name + ": missing (" + numbers.length + " batches)");
      }
      List<String> problems = new ArrayList<>();
      long size = fs.getFileStatus(p).getLen();
      if (size != bytes) {
        problems.add(name + ": " + size + " bytes, the manifest says " + bytes);
      }
      MessageDigest partSha = sha256();
      long pos = 0;
      int i = 0;
      try (InputStream in = new DigestInputStream(fs.open(p), partSha)) {
        for (; i < numbers.length; i++) {
          if (offsets[i] > pos) {
            pos += in.readNBytes((int) (offsets[i] - pos)).length; // a gap: digested, not checked
          }
          byte[] batch = in.readNBytes((int) lengths[i]);
          pos += batch.length;
          if (batch.length < lengths[i]) {
            problems.add(
                name + ": " + batchName(i) + " is cut short (the part ends at " + pos + ")");
            return problems;
          }
          String actual = HexFormat.of().formatHex(sha256().digest(batch));
          if (!actual.equals(sha256s[i])) {
            problems.add(
                name
                    + ": "
                    + batchName(i)
                    + " has sha256 "
                    + actual
                    + ", the index says "
                    + sha256s[i]);
          }
        }
        in.transferTo(java.io.OutputStream.nullOutputStream());
      } catch (org.apache.hadoop.fs.ChecksumException e) {
        // the file system's own block checksums caught it first (HDFS, local .crc): name the batch
        // holding the damaged chunk
        int at = i;
        for (int k = 0; k < numbers.length; k++) {
          if (offsets[k] <= e.getPos() && e.getPos() < offsets[k] + lengths[k]) {
            at = k;
          }
        }
        problems.add(
            name
                + ": "
                + (at < numbers.length ? batchName(at) : "the bytes after its last batch")
                + " fails its file system checksum");
        return problems;
      }
      String actual = HexFormat.of().formatHex(partSha.digest());
      if (problems.isEmpty() && !actual.equals(sha256)) {
        problems.add(name + ": sha256 " + actual + ", the manifest says " + sha256);
      }
      return problems;
    }

    private String batchName(int i) {
      return "batch " + numbers[i] + " (" + name + "#" + offsets[i] + "+" + lengths[i] + ")";
    }

    private static MessageDigest sha256() {
      try {
        return MessageDigest.getInstance("SHA-256");
      } catch (java.security.NoSuchAlgorithmException e) {
        throw new IllegalStateException(e);
      }
    }
  }

  /**
   * The rows of {@code set/index.tsv}, in batch order; empty for a set the shard does not have.
   * Read once per set: training asks for the batches, their work and their checksums.
   */
  private List<ShardIndex.Row> index(String set) {
    return indexes.computeIfAbsent(set, this::readIndex);
  }

  private List<ShardIndex.Row> readIndex(String set) {
    if (!manifest.has(set)) {
      return List.of();
    }
    String rel = set + "/" + ShardIndex.FILE;
    List<ShardIndex.Row> rows;
    try {
      rows = ShardIndex.parse(readText(rel), new Path(dir, rel).toString());
    } catch (IllegalArgumentException e) {
      throw new UserError(e.getMessage(), e);
    }
    long expected = manifest.path(set).path("batches").asLong(-1);
    if (expected != rows.size()) {
      throw new UserError(
          new Path(dir, rel) + " lists " + rows.size() + " batches, the manifest says " + expected);
    }
    return rows;
  }

  private String ref(String set, ShardIndex.Row row) {
    Path part = new Path(new Path(dir, set), row.part());
    return new BatchRef(part.toString(), row.offset(), row.length()).toString();
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

  /** Loads the batches of an evaluation set (small: dev/test) on the driver, in batch order. */
  public List<MultiDataSet> loadBatches(String set) {
    List<MultiDataSet> out = new ArrayList<>();
    try (PackedBatchReader reader = new PackedBatchReader(fs.getConf())) {
      for (String ref : batches(set)) {
        out.add(reader.load(ref));
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
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
