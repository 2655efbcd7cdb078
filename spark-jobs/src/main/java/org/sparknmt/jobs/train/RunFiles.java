package org.sparknmt.jobs.train;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.util.Optional;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.sparknmt.jobs.store.HadoopFiles;

/**
 * Small files of a run directory on any Hadoop URI (e.g. the pointer to the bundle it produced).
 */
final class RunFiles {
  private RunFiles() {}

  static URI child(URI dir, String name) {
    return new Path(new Path(dir), name).toUri();
  }

  static Optional<String> read(URI runDir, String file, Configuration conf) {
    try {
      FileSystem fs = FileSystem.get(runDir, conf);
      Path p = new Path(new Path(runDir), file);
      if (!fs.exists(p)) {
        return Optional.empty();
      }
      return Optional.of(HadoopFiles.readString(fs, p).trim());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Writes {@code file} atomically (temp + rename). */
  static void write(URI runDir, String file, String value, Configuration conf) {
    try {
      FileSystem fs = FileSystem.get(runDir, conf);
      HadoopFiles.replaceWithString(fs, conf, new Path(new Path(runDir), file), value + "\n");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
