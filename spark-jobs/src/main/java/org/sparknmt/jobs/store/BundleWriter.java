package org.sparknmt.jobs.store;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigRenderOptions;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.regex.Pattern;
import org.apache.hadoop.fs.FileAlreadyExistsException;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.sparknmt.jobs.UserError;

/**
 * Collects the parts of a new model version and {@link #commit()}s them: everything is written into
 * a hidden temporary directory, checksummed into {@code MANIFEST.sha256}, and renamed into place as
 * {@code <root>/models/<name>/<version>/} in one step. An existing version is never overwritten.
 *
 * <pre>{@code
 * ModelBundle b = store.writer("en-es")
 *     .model(averaged).bpe(bpeFiles).config(resolvedConfig)
 *     .metrics(metrics).provenance(Provenance.of(hashes, start, Instant.now(), executors, Map.of()))
 *     .commit();
 * }</pre>
 */
public final class BundleWriter {
  private static final Logger LOG = LoggerFactory.getLogger(BundleWriter.class);
  private static final ObjectMapper JSON =
      new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
  private static final Pattern FILE_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]*");
  private static final int MAX_VERSION_ATTEMPTS = 20;

  private final ModelStore store;
  private final String name;
  private ComputationGraph model;
  private URI modelZip;
  private final SortedMap<String, String> bpeTexts = new TreeMap<>();
  private URI bpeDir;
  private String configJson;
  private String metricsJson;
  private Provenance provenance;
  private final SortedMap<String, List<String>> hypotheses = new TreeMap<>();
  private String version;
  private final SortedMap<String, String> extraJson = new TreeMap<>();

  BundleWriter(ModelStore store, String name) {
    this.store = store;
    this.name = name;
  }

  /** The model; saved with its updater state. */
  public BundleWriter model(ComputationGraph graph) {
    this.model = graph;
    this.modelZip = null;
    return this;
  }

  /** An existing DL4J model zip (e.g. a checkpoint's {@link Checkpoint#modelUri()}), copied. */
  public BundleWriter modelZip(URI zip) {
    this.modelZip = zip;
    this.model = null;
    return this;
  }

  /** BPE files given as file name → content (UTF-8), written under {@code bpe/}. */
  public BundleWriter bpe(Map<String, String> files) {
    for (String f : files.keySet()) {
      if (!FILE_NAME.matcher(f).matches()) {
        throw new IllegalArgumentException("not a plain file name for bpe/: '" + f + "'");
      }
    }
    bpeTexts.putAll(files);
    return this;
  }

  /** Copies every visible file of the directory {@code dir} (any Hadoop URI) under {@code bpe/}. */
  public BundleWriter bpeFrom(URI dir) {
    this.bpeDir = dir;
    return this;
  }

  /** The fully resolved configuration, as JSON text. */
  public BundleWriter configJson(String json) {
    this.configJson = prettyJson(json, "config");
    return this;
  }

  /** The fully resolved configuration (rendered as JSON, without comments). */
  public BundleWriter config(Config config) {
    return configJson(config.root().render(ConfigRenderOptions.concise()));
  }

  /** The metrics: anything Jackson serialises to a JSON object (a Map, a record, a JsonNode). */
  public BundleWriter metrics(Object metrics) {
    try {
      this.metricsJson = JSON.writeValueAsString(metrics) + "\n";
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("metrics are not serialisable to JSON", e);
    }
    return this;
  }

  /**
   * The model's translations of evaluation sets, one line per source line, written as {@code
   * eval/<set>.hyp.txt} (the hypotheses behind the metrics).
   */
  public BundleWriter hypotheses(Map<String, List<String>> bySet) {
    for (String set : bySet.keySet()) {
      if (!FILE_NAME.matcher(set).matches()) {
        throw new IllegalArgumentException("not a plain evaluation set name: '" + set + "'");
      }
    }
    hypotheses.putAll(bySet);
    return this;
  }

  /**
   * A further JSON file at the bundle's top level (e.g. the promotion decision), covered by the
   * manifest like every part.
   */
  public BundleWriter json(String file, Object value) {
    if (!FILE_NAME.matcher(file).matches()
        || ModelBundle.REQUIRED.contains(file)
        || !file.endsWith(".json")) {
      throw new IllegalArgumentException("not a free .json file name in a bundle: '" + file + "'");
    }
    try {
      extraJson.put(file, JSON.writeValueAsString(value) + "\n");
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException(file + " is not serialisable to JSON", e);
    }
    return this;
  }

  public BundleWriter provenance(Provenance p) {
    this.provenance = p;
    return this;
  }

  /** An explicit version name instead of the next {@code vNNNN}; committing fails if it exists. */
  public BundleWriter version(String v) {
    if (!FILE_NAME.matcher(v).matches()) {
      throw new IllegalArgumentException("not a valid version name: '" + v + "'");
    }
    this.version = v;
    return this;
  }

  private static String prettyJson(String json, String part) {
    try {
      return JSON.writeValueAsString(JSON.readTree(json)) + "\n";
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException(part + " is not valid JSON: " + e.getOriginalMessage(), e);
    }
  }

  /**
   * Writes the bundle and returns it opened (and so verified).
   *
   * @throws UserError if a part is missing or the explicit version already exists
   */
  public ModelBundle commit() {
    requirePart(model != null || modelZip != null, "model");
    requirePart(!bpeTexts.isEmpty() || bpeDir != null, "BPE files");
    requirePart(configJson != null, "configuration");
    requirePart(metricsJson != null, "metrics");
    requirePart(provenance != null, "provenance");
    FileSystem fs = store.fs();
    Path modelDir = store.modelDir(name);
    Path temp = HadoopFiles.tempSibling(new Path(modelDir, "bundle"));
    try {
      HadoopFiles.mkdirs(fs, temp);
      writeParts(fs, temp);
      Manifest.compute(fs, temp).write(fs, temp);
      Path target = publish(fs, modelDir, temp);
      LOG.info("model bundle {} written", target);
      return ModelBundle.open(target.toUri(), store.conf());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write a model bundle under " + modelDir, e);
    } finally {
      try {
        fs.delete(temp, true);
      } catch (IOException e) {
        LOG.warn("could not delete {}: {}", temp, e.toString());
      }
    }
  }

  private static void requirePart(boolean present, String part) {
    if (!present) {
      throw new IllegalStateException("a model bundle needs its " + part);
    }
  }

  private void writeParts(FileSystem fs, Path temp) throws IOException {
    Path modelFile = new Path(temp, ModelBundle.MODEL);
    if (model != null) {
      ModelFiles.write(fs, modelFile, model, true);
    } else {
      FileSystem src = HadoopFiles.fileSystem(modelZip, store.conf());
      ModelFiles.copy(src, HadoopFiles.qualified(src, modelZip), fs, modelFile);
    }
    Path bpe = new Path(temp, ModelBundle.BPE_DIR);
    HadoopFiles.mkdirs(fs, bpe);
    if (bpeDir != null) {
      FileSystem src = HadoopFiles.fileSystem(bpeDir, store.conf());
      Path srcDir = HadoopFiles.qualified(src, bpeDir);
      if (!HadoopFiles.isDirectory(src, srcDir)) {
        throw new UserError("BPE directory " + srcDir + " does not exist");
      }
      for (String rel : Manifest.listFiles(src, srcDir)) {
        ModelFiles.copy(src, new Path(srcDir, rel), fs, new Path(bpe, rel));
      }
    }
    for (Map.Entry<String, String> e : bpeTexts.entrySet()) {
      Path file = new Path(bpe, e.getKey());
      if (fs.exists(file)) {
        throw new IllegalStateException(
            "bpe/" + e.getKey() + " given both as text and in " + bpeDir);
      }
      HadoopFiles.writeString(fs, file, e.getValue());
    }
    HadoopFiles.writeString(fs, new Path(temp, ModelBundle.CONFIG), configJson);
    HadoopFiles.writeString(fs, new Path(temp, ModelBundle.METRICS), metricsJson);
    HadoopFiles.writeString(fs, new Path(temp, ModelBundle.PROVENANCE), provenance.toJson());
    for (Map.Entry<String, String> e : extraJson.entrySet()) {
      HadoopFiles.writeString(fs, new Path(temp, e.getKey()), e.getValue());
    }
    for (Map.Entry<String, List<String>> e : hypotheses.entrySet()) {
      HadoopFiles.writeString(
          fs, new Path(temp, ModelBundle.hypothesesFile(e.getKey())), lines(e.getValue()));
    }
  }

  private static String lines(List<String> lines) {
    return lines.isEmpty() ? "" : String.join("\n", lines) + "\n";
  }

  /** Renames {@code temp} to the explicit or next free version; never replaces one. */
  private Path publish(FileSystem fs, Path modelDir, Path temp) throws IOException {
    if (version != null) {
      Path target = new Path(modelDir, version);
      try {
        HadoopFiles.publish(store.conf(), temp, target);
        return target;
      } catch (FileAlreadyExistsException e) {
        throw new UserError(
            "model " + name + " version " + version + " exists already; bundles are immutable", e);
      }
    }
    for (int attempt = 0; attempt < MAX_VERSION_ATTEMPTS; attempt++) {
      Path target = new Path(modelDir, ModelStore.versionName(store.latestNumber(name) + 1));
      try {
        HadoopFiles.publish(store.conf(), temp, target);
        return target;
      } catch (FileAlreadyExistsException e) {
        LOG.info("{} was taken by a concurrent writer; trying the next version", target);
      }
    }
    throw new IOException("no free version under " + modelDir + " after retries");
  }
}
