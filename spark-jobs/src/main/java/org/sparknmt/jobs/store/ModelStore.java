package org.sparknmt.jobs.store;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.sparknmt.jobs.UserError;

/**
 * The model repository {@code <root>/models/<name>/} on any Hadoop URI: immutable versions {@code
 * v0001, v0002, ...} (see {@link ModelBundle}) and a {@code champion} pointer file naming the
 * promoted version.
 *
 * <p>The pointer is replaced atomically: the new content is written to a hidden temporary file and
 * renamed over the old one with {@link org.apache.hadoop.fs.FileContext#rename} and {@code
 * OVERWRITE}, a single NameNode operation on HDFS, so a reader sees the old or the new champion and
 * never a missing or half-written pointer.
 */
public final class ModelStore {
  private static final Logger LOG = LoggerFactory.getLogger(ModelStore.class);
  static final String MODELS = "models";
  public static final String CHAMPION = "champion";
  private static final Pattern VERSION = Pattern.compile("v(\\d{4,})");
  private static final Pattern MODEL_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]*");

  private final Configuration conf;
  private final FileSystem fs;
  private final Path root;

  private ModelStore(Configuration conf, FileSystem fs, Path root) {
    this.conf = conf;
    this.fs = fs;
    this.root = root;
  }

  /** The repository under {@code root} (the directory that holds {@code models/}). */
  public static ModelStore at(URI root, Configuration conf) {
    FileSystem fs = HadoopFiles.fileSystem(root, conf);
    return new ModelStore(conf, fs, HadoopFiles.qualified(fs, root));
  }

  public URI root() {
    return root.toUri();
  }

  /** A writer for the next version of model {@code name}. */
  public BundleWriter writer(String name) {
    return new BundleWriter(this, checkName(name));
  }

  /** The directory of a version, whether or not it exists. */
  public URI versionUri(String name, String version) {
    return new Path(modelDir(checkName(name)), version).toUri();
  }

  /** Versions of model {@code name}, oldest first. */
  public List<String> versions(String name) {
    Path dir = modelDir(checkName(name));
    List<String> out = new ArrayList<>();
    try {
      if (!HadoopFiles.isDirectory(fs, dir)) {
        return out;
      }
      for (FileStatus st : fs.listStatus(dir)) {
        if (st.isDirectory() && VERSION.matcher(st.getPath().getName()).matches()) {
          out.add(st.getPath().getName());
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list versions in " + dir, e);
    }
    out.sort(Comparator.comparingLong(ModelStore::number));
    return out;
  }

  /** Names of the models in this store (directories under {@code models/}), sorted. */
  public List<String> names() {
    Path dir = new Path(root, MODELS);
    List<String> out = new ArrayList<>();
    try {
      if (!HadoopFiles.isDirectory(fs, dir)) {
        return out;
      }
      for (FileStatus st : fs.listStatus(dir)) {
        String n = st.getPath().getName();
        if (st.isDirectory() && MODEL_NAME.matcher(n).matches()) {
          out.add(n);
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list models in " + dir, e);
    }
    out.sort(Comparator.naturalOrder());
    return out;
  }

  /**
   * The champion of {@code name}, else its newest version.
   *
   * @throws UserError naming where it looked and which models exist
   */
  public ModelBundle championOrLatest(String name) {
    Optional<ModelBundle> champion = champion(name);
    if (champion.isPresent()) {
      return champion.get();
    }
    List<String> versions = versions(name);
    if (!versions.isEmpty()) {
      return open(name, versions.get(versions.size() - 1));
    }
    List<String> names = names();
    throw new UserError(
        "no model named '"
            + name
            + "': "
            + modelDir(name)
            + " has no versions"
            + (names.isEmpty()
                ? "; " + new Path(root, MODELS) + " holds no models"
                : "; models in " + new Path(root, MODELS) + ": " + String.join(", ", names))
            + " (the model store is the directory that holds models/, e.g. a pipeline's work"
            + " directory; give one version directory with --bundle)");
  }

  /** Opens (and verifies) a version. */
  public ModelBundle open(String name, String version) {
    return ModelBundle.open(versionUri(name, version), conf);
  }

  /**
   * Makes {@code version} the champion of model {@code name}. The version is verified first: a
   * damaged bundle is never promoted.
   */
  public ModelBundle promote(String name, String version) {
    ModelBundle bundle = open(name, version);
    Path pointer = new Path(modelDir(name), CHAMPION);
    try {
      HadoopFiles.replaceWithString(fs, conf, pointer, version + "\n");
    } catch (IOException e) {
      throw new UncheckedIOException("cannot update " + pointer, e);
    }
    LOG.info("model {} champion is now {}", name, version);
    return bundle;
  }

  /** The version the champion pointer names, if a version was promoted. */
  public Optional<String> championVersion(String name) {
    Path pointer = new Path(modelDir(checkName(name)), CHAMPION);
    try {
      if (!fs.exists(pointer)) {
        return Optional.empty();
      }
      String version = HadoopFiles.readString(fs, pointer).trim();
      if (!MODEL_NAME.matcher(version).matches()) {
        throw new UserError(pointer + " does not name a version: '" + version + "'");
      }
      return Optional.of(version);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + pointer, e);
    }
  }

  /** The champion bundle (opened and verified), if a version was promoted. */
  public Optional<ModelBundle> champion(String name) {
    return championVersion(name).map(v -> open(name, v));
  }

  static String versionName(long number) {
    return String.format("v%04d", number);
  }

  /** Highest version number of model {@code name}, 0 if none. */
  long latestNumber(String name) {
    List<String> versions = versions(name);
    return versions.isEmpty() ? 0 : number(versions.get(versions.size() - 1));
  }

  private static long number(String version) {
    Matcher m = VERSION.matcher(version);
    return m.matches() ? Long.parseLong(m.group(1)) : -1;
  }

  private static String checkName(String name) {
    if (name == null || !MODEL_NAME.matcher(name).matches()) {
      throw new UserError(
          "model name '" + name + "' must be letters, digits, '.', '_' or '-' (not first)");
    }
    return name;
  }

  /** The directory of model {@code name} (its versions, champion pointer, history and lock). */
  public URI modelUri(String name) {
    return modelDir(checkName(name)).toUri();
  }

  Path modelDir(String name) {
    return new Path(new Path(root, MODELS), name);
  }

  FileSystem fs() {
    return fs;
  }

  public Configuration conf() {
    return conf;
  }
}
