package org.sparknmt.jobs.prep;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.UUID;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.sparknmt.jobs.UserError;

/**
 * A step's output directory, written under a temporary sibling ({@code .NAME.tmp-UUID}) and renamed
 * into place by {@link #commit} only when complete; {@link #abort} deletes the temporary directory.
 * A reader never sees a half-written output under the final name.
 */
final class StagedOutput implements AutoCloseable {
  static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  private final FileSystem fs;
  private final Path target;
  private final Path tmp;
  private final boolean overwrite;
  private boolean committed;

  private StagedOutput(FileSystem fs, Path target, Path tmp, boolean overwrite) {
    this.fs = fs;
    this.target = target;
    this.tmp = tmp;
    this.overwrite = overwrite;
  }

  /**
   * Starts writing {@code target}.
   *
   * @throws UserError if {@code target} exists and {@code overwrite} is false
   */
  static StagedOutput begin(String target, boolean overwrite, Configuration conf) {
    Path t = new Path(target);
    try {
      FileSystem fs = t.getFileSystem(conf);
      if (fs.exists(t) && !overwrite) {
        throw new UserError(
            "output exists: "
                + target
                + " (delete it, choose another --out, or set sparknmt.data.overwrite=true)");
      }
      Path tmp = new Path(t.getParent(), "." + t.getName() + ".tmp-" + UUID.randomUUID());
      if (!fs.mkdirs(tmp)) {
        throw new UserError("cannot create " + tmp);
      }
      return new StagedOutput(fs, t, tmp, overwrite);
    } catch (IOException e) {
      throw new UserError("cannot write output " + target + ": " + e.getMessage(), e);
    }
  }

  /** The temporary directory to write into. */
  Path dir() {
    return tmp;
  }

  /** A path inside the temporary directory, as a string (for Spark writers). */
  String path(String child) {
    return new Path(tmp, child).toString();
  }

  FileSystem fs() {
    return fs;
  }

  void writeString(String child, String content) {
    try (OutputStream out = fs.create(new Path(tmp, child), true)) {
      out.write(content.getBytes(StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  void writeJson(String child, Object value) {
    try {
      writeString(child, JSON.writeValueAsString(value) + "\n");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Renames the finished directory into place (replacing an old one if overwriting). */
  void commit() {
    try {
      if (overwrite && fs.exists(target)) {
        fs.delete(target, true);
      }
      if (!fs.rename(tmp, target)) {
        throw new IOException("rename " + tmp + " -> " + target + " failed");
      }
      committed = true;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Deletes the temporary directory unless committed. */
  void abort() {
    if (committed) {
      return;
    }
    try {
      fs.delete(tmp, true);
    } catch (IOException e) {
      // best effort: the name marks it as temporary
    }
  }

  @Override
  public void close() {
    abort();
  }
}
