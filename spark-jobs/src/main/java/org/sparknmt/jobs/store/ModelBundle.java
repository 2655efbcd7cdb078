package org.sparknmt.jobs.store;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.List;
import java.util.SortedMap;
import java.util.TreeMap;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.ChecksumException;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.sparknmt.jobs.UserError;

/**
 * One verified, immutable model version {@code <root>/models/<name>/<version>/}:
 *
 * <pre>
 *   model.zip          DL4J ComputationGraph with updater state
 *   bpe/...            merges + vocabulary
 *   config.json        the fully resolved configuration
 *   metrics.json       dev/test scores (with sacreBLEU signatures), losses
 *   provenance.json    {@link Provenance}
 *   eval/SET.hyp.txt   the model's translations of the dev/test sets behind the metrics
 *   MANIFEST.sha256    checksums of every file above
 * </pre>
 *
 * <p>{@link #open} checks every file against the manifest and refuses a bundle with a missing,
 * altered or unlisted file; every later read is checked again, so a file changed after opening is
 * refused too. Written by {@link BundleWriter}; found by {@link ModelStore}.
 */
public final class ModelBundle {
  public static final String MODEL = "model.zip";
  public static final String BPE_DIR = "bpe";
  public static final String CONFIG = "config.json";
  public static final String METRICS = "metrics.json";
  public static final String PROVENANCE = "provenance.json";

  /** The bundle file with the model's translations of evaluation set {@code set}. */
  public static String hypothesesFile(String set) {
    return "eval/" + set + ".hyp.txt";
  }

  static final List<String> REQUIRED = List.of(MODEL, CONFIG, METRICS, PROVENANCE);
  private static final String WHAT = "model bundle";
  private static final Logger LOG = LoggerFactory.getLogger(ModelBundle.class);
  private static final ObjectMapper JSON = new ObjectMapper();

  private final FileSystem fs;
  private final Path dir;
  private final Manifest manifest;

  private ModelBundle(FileSystem fs, Path dir, Manifest manifest) {
    this.fs = fs;
    this.dir = dir;
    this.manifest = manifest;
  }

  /**
   * Opens the bundle in {@code versionDir} after verifying every file against its manifest.
   *
   * @throws UserError if the bundle does not exist, is incomplete or was altered (naming the file)
   */
  public static ModelBundle open(URI versionDir, Configuration conf) {
    FileSystem fs = HadoopFiles.fileSystem(versionDir, conf);
    Path dir = HadoopFiles.qualified(fs, versionDir);
    try {
      if (!HadoopFiles.isDirectory(fs, dir)) {
        throw new UserError("no model bundle at " + dir);
      }
      Manifest manifest = Manifest.read(fs, dir);
      for (String required : REQUIRED) {
        if (!manifest.sums().containsKey(required)) {
          throw new UserError(WHAT + " " + dir + " is incomplete: it has no " + required);
        }
      }
      if (manifest.sums().keySet().stream().noneMatch(f -> f.startsWith(BPE_DIR + "/"))) {
        throw new UserError(WHAT + " " + dir + " is incomplete: it has no " + BPE_DIR + "/ files");
      }
      long start = System.nanoTime();
      manifest.verify(fs, dir, WHAT);
      LOG.info(
          "verified {} {} ({} files) in {} ms",
          WHAT,
          dir,
          manifest.sums().size(),
          (System.nanoTime() - start) / 1_000_000);
      return new ModelBundle(fs, dir, manifest);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + WHAT + " " + dir, e);
    }
  }

  /** The model name (the parent directory's name). */
  public String name() {
    return dir.getParent().getName();
  }

  /** The version (the directory's name), e.g. {@code v0003}. */
  public String version() {
    return dir.getName();
  }

  public URI uri() {
    return dir.toUri();
  }

  public Manifest manifest() {
    return manifest;
  }

  /** The model, with its updater state if asked (to fine-tune it), verified while it is read. */
  public ComputationGraph loadModel(boolean withUpdater) {
    try {
      return ModelFiles.load(
          fs, new Path(dir, MODEL), withUpdater, sha -> manifest.check(dir, WHAT, MODEL, sha));
    } catch (ChecksumException e) {
      throw Manifest.damaged(dir, WHAT, MODEL, e);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot load the model of " + WHAT + " " + dir, e);
    }
  }

  /** {@code config.json} as written. */
  public String configJson() {
    return readText(CONFIG);
  }

  /** {@code metrics.json}. */
  public JsonNode metrics() {
    return parseJson(METRICS);
  }

  public Provenance provenance() {
    return Provenance.fromJson(readText(PROVENANCE), new Path(dir, PROVENANCE).toString());
  }

  /** The BPE files: name relative to {@code bpe/} → content. */
  public SortedMap<String, String> bpeFiles() {
    SortedMap<String, String> out = new TreeMap<>();
    for (String rel : manifest.sums().keySet()) {
      if (rel.startsWith(BPE_DIR + "/")) {
        out.put(rel.substring(BPE_DIR.length() + 1), readText(rel));
      }
    }
    return out;
  }

  /** Copies the BPE files into a local directory (e.g. on an executor), keeping their names. */
  public void copyBpeTo(java.nio.file.Path localDir) {
    try {
      for (var e : bpeFiles().entrySet()) {
        java.nio.file.Path target = localDir.resolve(e.getKey());
        Files.createDirectories(target.getParent());
        Files.writeString(target, e.getValue(), StandardCharsets.UTF_8);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot copy the BPE files of " + dir + " to " + localDir, e);
    }
  }

  /** A file of the bundle (path relative to the bundle), verified against the manifest. */
  public String readText(String rel) {
    Path file = new Path(dir, rel);
    try (InputStream in = fs.open(file)) {
      byte[] bytes = in.readAllBytes();
      manifest.check(dir, WHAT, rel, Manifest.sha256(new ByteArrayInputStream(bytes)));
      return new String(bytes, StandardCharsets.UTF_8);
    } catch (ChecksumException e) {
      throw Manifest.damaged(dir, WHAT, rel, e);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file, e);
    }
  }

  private JsonNode parseJson(String rel) {
    try {
      return JSON.readTree(readText(rel));
    } catch (JsonProcessingException e) {
      throw new UserError(new Path(dir, rel) + " is not valid JSON: " + e.getOriginalMessage(), e);
    }
  }

  @Override
  public String toString() {
    return dir.toString();
  }
}
