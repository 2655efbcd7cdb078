package org.sparknmt.prep.spark;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.security.AccessControlException;
import org.apache.spark.api.java.JavaSparkContext;
import org.sparknmt.prep.InputError;

/**
 * Resolves an input path (any Hadoop URI) to its data files: a file is itself, a directory is its
 * part files in name order (names starting with {@code _} or {@code .} are skipped, as Hadoop
 * does). Missing, unreadable and empty inputs are {@link InputError}s.
 */
public final class InputFiles {
  private InputFiles() {}

  /** The data files of {@code input}, fully qualified, in the order their lines are numbered. */
  public static List<String> resolve(String input, Configuration conf) {
    if (input == null || input.isBlank()) {
      throw new InputError("no input path given");
    }
    Path path = new Path(input);
    FileSystem fs;
    FileStatus status;
    try {
      fs = path.getFileSystem(conf);
      status = fs.getFileStatus(path);
    } catch (FileNotFoundException e) {
      throw new InputError("input not found: " + input, e);
    } catch (AccessControlException e) {
      throw new InputError("cannot read input " + input + ": permission denied", e);
    } catch (IOException e) {
      throw new InputError("cannot read input " + input + ": " + e.getMessage(), e);
    }
    List<FileStatus> files = new ArrayList<>();
    try {
      if (status.isDirectory()) {
        for (FileStatus f : fs.listStatus(path)) {
          String name = f.getPath().getName();
          if (f.isFile() && !name.startsWith("_") && !name.startsWith(".")) {
            files.add(f);
          }
        }
        files.sort((a, b) -> a.getPath().getName().compareTo(b.getPath().getName()));
        if (files.isEmpty()) {
          throw new InputError("input is empty: directory " + input + " has no data files");
        }
      } else {
        files.add(status);
      }
      List<String> out = new ArrayList<>();
      for (FileStatus f : files) {
        try (InputStream in = fs.open(f.getPath())) {
          in.read(); // fails here when the file cannot be read
        }
        out.add(f.getPath().toString());
      }
      return out;
    } catch (AccessControlException e) {
      throw new InputError("cannot read input " + input + ": permission denied", e);
    } catch (IOException e) {
      throw new InputError("cannot read input " + input + ": " + e.getMessage(), e);
    }
  }

  /** SHA-256 (hex) of each file's bytes as stored (compressed files are hashed compressed). */
  public static List<String> sha256(JavaSparkContext jsc, List<String> files) {
    if (files.isEmpty()) {
      return List.of();
    }
    HadoopConf conf = new HadoopConf(jsc.hadoopConfiguration());
    return jsc.parallelize(files, files.size()).map(f -> sha256(f, conf.get())).collect();
  }

  static String sha256(String file, Configuration conf) throws IOException {
    MessageDigest md;
    try {
      md = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
    Path p = new Path(file);
    try (InputStream in = p.getFileSystem(conf).open(p)) {
      byte[] buf = new byte[1 << 16];
      for (int n; (n = in.read(buf)) > 0; ) {
        md.update(buf, 0, n);
      }
    }
    return HexFormat.of().formatHex(md.digest());
  }
}
