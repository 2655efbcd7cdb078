package org.sparknmt.jobs.store;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.UUID;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileAlreadyExistsException;
import org.apache.hadoop.fs.FileContext;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocalFileSystem;
import org.apache.hadoop.fs.Options;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.UnsupportedFileSystemException;
import org.sparknmt.jobs.UserError;

/**
 * The few file operations the stores need, on any Hadoop file system ({@code file://}, {@code
 * hdfs://}, ...), with the atomicity each one promises spelled out.
 *
 * <p>Names starting with {@code .} or {@code _} are hidden (Hadoop's convention, also used for
 * {@code .crc} side files of the local file system): temporary files and directories are hidden
 * siblings of their final path, so no listing ever takes them for finished output.
 */
public final class HadoopFiles {
  static final String TEMP_PREFIX = ".tmp-";

  private HadoopFiles() {}

  /** The file system of {@code uri} (Hadoop's cached instance: never close it). */
  public static FileSystem fileSystem(URI uri, Configuration conf) {
    try {
      return FileSystem.get(uri, conf);
    } catch (UnsupportedFileSystemException e) {
      throw new UserError(
          "no file system for the scheme of "
              + uri
              + " ("
              + e.getMessage()
              + "): a misspelt scheme, or its Hadoop connector is not on the classpath",
          e);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot open the file system of " + uri, e);
    }
  }

  /** {@code uri} as a fully qualified path of {@code fs}. */
  public static Path qualified(FileSystem fs, URI uri) {
    return fs.makeQualified(new Path(uri));
  }

  /** True for names Hadoop and these stores treat as invisible ({@code .x}, {@code _x}). */
  public static boolean isHidden(String name) {
    return name.startsWith(".") || name.startsWith("_");
  }

  /** A fresh hidden sibling of {@code target} to write into before publishing. */
  public static Path tempSibling(Path target) {
    return new Path(target.getParent(), TEMP_PREFIX + target.getName() + "-" + UUID.randomUUID());
  }

  /** Writes {@code text} as UTF-8 to a new file; fails if it exists. */
  public static void writeString(FileSystem fs, Path file, String text) throws IOException {
    try (FSDataOutputStream out = fs.create(file, false)) {
      out.write(text.getBytes(StandardCharsets.UTF_8));
    }
  }

  /** Reads a whole file as UTF-8. */
  public static String readString(FileSystem fs, Path file) throws IOException {
    try (InputStream in = fs.open(file)) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  /** Copies {@code in} to a new file {@code file}. */
  public static void write(FileSystem fs, Path file, InputStream in) throws IOException {
    try (OutputStream out = fs.create(file, false)) {
      in.transferTo(out);
    }
  }

  /**
   * Renames the finished {@code temp} (file or directory) to {@code target}, failing with {@link
   * FileAlreadyExistsException} if {@code target} exists. Uses {@link FileContext#rename} with
   * {@link Options.Rename#NONE}: one atomic NameNode operation on HDFS (unlike {@code
   * FileSystem.rename}, which would move a directory <em>into</em> an existing one).
   */
  public static void publish(Configuration conf, Path temp, Path target) throws IOException {
    FileContext.getFileContext(temp.toUri(), conf).rename(temp, target, Options.Rename.NONE);
  }

  /** Refuses a job's output path that exists already (checked before any work is done). */
  public static void requireNewOutput(FileSystem fs, Path out) throws IOException {
    if (fs.exists(out)) {
      throw outputExists(out);
    }
  }

  /**
   * {@link #publish}es a job's finished output; an output created by someone else since {@link
   * #requireNewOutput} checked is refused with the same message, and left as it is.
   */
  public static void publishOutput(Configuration conf, Path temp, Path out) throws IOException {
    try {
      publish(conf, temp, out);
    } catch (FileAlreadyExistsException e) {
      throw outputExists(out);
    }
  }

  private static UserError outputExists(Path out) {
    return new UserError("output " + out + " already exists; choose a new directory");
  }

  /**
   * Renames the finished file {@code temp} to {@code target}, replacing it if present, so that
   * readers see the old or the new file: on HDFS {@link Options.Rename#OVERWRITE} is one atomic
   * NameNode operation; on the local file system an atomic {@code rename(2)}. Elsewhere (where an
   * overwriting rename is a delete followed by a rename) the old file is first moved aside and put
   * back if the rename fails, so a failure never loses it; a reader may miss the file for the
   * moment between the two renames.
   */
  public static void replace(Configuration conf, Path temp, Path target) throws IOException {
    FileContext fc = FileContext.getFileContext(temp.toUri(), conf);
    Path from = fc.makeQualified(temp);
    String scheme = from.toUri().getScheme();
    if ("hdfs".equals(scheme)) {
      fc.rename(temp, target, Options.Rename.OVERWRITE);
      return;
    }
    if ("file".equals(scheme)) {
      Path to = fc.makeQualified(target);
      // the local file system keeps a checksum beside each file it wrote; the data alone is moved
      // (one atomic rename), so the target's old checksum would no longer match and the temp's
      // would be left behind: both go, and the target is read without one
      LocalFileSystem local = FileSystem.getLocal(conf);
      java.nio.file.Files.deleteIfExists(localPath(local.getChecksumFile(to)));
      java.nio.file.Files.move(
          localPath(from),
          localPath(to),
          java.nio.file.StandardCopyOption.ATOMIC_MOVE,
          java.nio.file.StandardCopyOption.REPLACE_EXISTING);
      java.nio.file.Files.deleteIfExists(localPath(local.getChecksumFile(from)));
      return;
    }
    Path aside = tempSibling(target);
    boolean existed = fc.util().exists(target);
    if (existed) {
      fc.rename(target, aside, Options.Rename.NONE);
    }
    try {
      fc.rename(temp, target, Options.Rename.NONE);
    } catch (IOException e) {
      if (existed) {
        fc.rename(aside, target, Options.Rename.NONE);
      }
      throw e;
    }
    if (existed) {
      fc.delete(aside, false);
    }
  }

  private static java.nio.file.Path localPath(Path qualified) {
    return java.nio.file.Path.of(qualified.toUri());
  }

  /** Writes {@code text} to a temporary sibling and {@link #replace}s {@code target} with it. */
  public static void replaceWithString(FileSystem fs, Configuration conf, Path target, String text)
      throws IOException {
    Path temp = tempSibling(target);
    try {
      writeString(fs, temp, text);
      replace(conf, temp, target);
    } finally {
      fs.delete(temp, false);
    }
  }

  /** True if {@code path} exists and is a directory. */
  public static boolean isDirectory(FileSystem fs, Path path) throws IOException {
    try {
      return fs.getFileStatus(path).isDirectory();
    } catch (FileNotFoundException e) {
      return false;
    }
  }

  /** Creates {@code dir} and its parents; fails with a clear message if a file is in the way. */
  public static void mkdirs(FileSystem fs, Path dir) throws IOException {
    if (!fs.mkdirs(dir)) {
      throw new IOException("cannot create directory " + dir);
    }
  }
}
