package org.sparknmt.jobs.store;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.security.DigestInputStream;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.hadoop.fs.ChecksumException;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.sparknmt.jobs.UserError;

/**
 * SHA-256 checksums of every file of a directory, in {@code sha256sum} format (so {@code sha256sum
 * -c MANIFEST.sha256} checks a downloaded copy): one {@code <64 hex> <relative path>} line per
 * file, sorted by path. Hidden files ({@code .x}, {@code _x}) and the manifest itself are not
 * listed.
 */
public final class Manifest {
  public static final String FILE_NAME = "MANIFEST.sha256";
  private static final Pattern LINE = Pattern.compile("([0-9a-f]{64}) [ *](.+)");

  private final SortedMap<String, String> sums;

  private Manifest(SortedMap<String, String> sums) {
    this.sums = Collections.unmodifiableSortedMap(sums);
  }

  /** A manifest of the given relative path → lowercase hex SHA-256 entries. */
  public static Manifest of(Map<String, String> sums) {
    return new Manifest(new TreeMap<>(sums));
  }

  /** Relative path → hex SHA-256, sorted by path. */
  public SortedMap<String, String> sums() {
    return sums;
  }

  /** The manifest in {@code sha256sum} format. */
  public String format() {
    StringBuilder sb = new StringBuilder();
    sums.forEach((path, sum) -> sb.append(sum).append("  ").append(path).append('\n'));
    return sb.toString();
  }

  /** Parses {@link #format()} output; {@code where} names the file in error messages. */
  public static Manifest parse(String text, String where) {
    SortedMap<String, String> sums = new TreeMap<>();
    String[] lines = text.split("\n", -1);
    for (int i = 0; i < lines.length; i++) {
      String line = lines[i];
      if (line.isEmpty()) {
        continue;
      }
      Matcher m = LINE.matcher(line);
      if (!m.matches()) {
        throw new UserError(where + " line " + (i + 1) + " is not '<sha256>  <file>': " + line);
      }
      sums.put(m.group(2), m.group(1));
    }
    return new Manifest(sums);
  }

  /** Reads and parses {@code dir/MANIFEST.sha256}; a missing manifest is a {@link UserError}. */
  public static Manifest read(FileSystem fs, Path dir) throws IOException {
    Path file = new Path(dir, FILE_NAME);
    if (!fs.exists(file)) {
      throw new UserError(
          dir + " is incomplete: it has no " + FILE_NAME + " (an interrupted write?)");
    }
    return parse(HadoopFiles.readString(fs, file), file.toString());
  }

  /** Checksums every visible file under {@code dir} (recursively), except the manifest. */
  public static Manifest compute(FileSystem fs, Path dir) throws IOException {
    SortedMap<String, String> sums = new TreeMap<>();
    for (String rel : listFiles(fs, dir)) {
      try (InputStream in = fs.open(new Path(dir, rel))) {
        sums.put(rel, sha256(in));
      }
    }
    return new Manifest(sums);
  }

  /** Writes this manifest as {@code dir/MANIFEST.sha256} (a new file). */
  public void write(FileSystem fs, Path dir) throws IOException {
    HadoopFiles.writeString(fs, new Path(dir, FILE_NAME), format());
  }

  /**
   * Checks that {@code dir} holds exactly the listed files with the listed checksums.
   *
   * @param what what the directory is, for messages ("model bundle", "checkpoint")
   * @throws UserError naming the first file that is missing, altered or not in the manifest
   */
  public void verify(FileSystem fs, Path dir, String what) throws IOException {
    List<String> present = listFiles(fs, dir);
    for (String rel : present) {
      if (!sums.containsKey(rel)) {
        throw new UserError(
            what + " " + dir + " is not intact: " + rel + " is not listed in " + FILE_NAME);
      }
    }
    for (Map.Entry<String, String> e : sums.entrySet()) {
      String rel = e.getKey();
      if (!present.contains(rel)) {
        throw new UserError(
            what
                + " "
                + dir
                + " is incomplete: "
                + rel
                + " listed in "
                + FILE_NAME
                + " is missing");
      }
      String actual;
      try (InputStream in = fs.open(new Path(dir, rel))) {
        actual = sha256(in);
      } catch (ChecksumException ce) {
        throw damaged(dir, what, rel, ce);
      }
      check(dir, what, rel, actual);
    }
  }

  /**
   * Fails with a {@link UserError} naming {@code rel} unless {@code actualSha256} is its listed
   * checksum.
   */
  public void check(Path dir, String what, String rel, String actualSha256) {
    String expected = sums.get(rel);
    if (expected == null) {
      throw new UserError(what + " " + dir + " has no " + rel + " in its " + FILE_NAME);
    }
    if (!expected.equals(actualSha256)) {
      throw new UserError(
          what
              + " "
              + dir
              + " was modified or damaged: "
              + rel
              + " has SHA-256 "
              + actualSha256
              + " but "
              + FILE_NAME
              + " says "
              + expected
              + "; refusing to use it");
    }
  }

  /**
   * The error for a file the file system itself reports as corrupt (a {@link ChecksumException}
   * from HDFS block checksums or the local file system's {@code .crc} files).
   */
  public static UserError damaged(Path dir, String what, String rel, ChecksumException cause) {
    return new UserError(
        what
            + " "
            + dir
            + " was modified or damaged: "
            + rel
            + " fails the file system's checksum ("
            + cause.getMessage()
            + "); refusing to use it",
        cause);
  }

  /** Visible files under {@code dir}, as sorted relative paths, without the manifest. */
  static List<String> listFiles(FileSystem fs, Path dir) throws IOException {
    List<String> out = new ArrayList<>();
    collect(fs, dir, "", out);
    out.remove(FILE_NAME);
    Collections.sort(out);
    return out;
  }

  private static void collect(FileSystem fs, Path dir, String prefix, List<String> out)
      throws IOException {
    for (FileStatus st : fs.listStatus(dir)) {
      String name = st.getPath().getName();
      if (HadoopFiles.isHidden(name)) {
        continue;
      }
      if (st.isDirectory()) {
        collect(fs, st.getPath(), prefix + name + "/", out);
      } else {
        out.add(prefix + name);
      }
    }
  }

  /** Lowercase hex SHA-256 of the rest of {@code in}. */
  public static String sha256(InputStream in) throws IOException {
    DigestInputStream din = new DigestInputStream(in, newDigest());
    din.transferTo(OutputStream.nullOutputStream());
    return hex(din.getMessageDigest());
  }

  /** Lowercase hex SHA-256 of a file on any Hadoop file system (e.g. a data manifest). */
  public static String sha256(FileSystem fs, Path file) throws IOException {
    try (InputStream in = fs.open(file)) {
      return sha256(in);
    }
  }

  static MessageDigest newDigest() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("the JDK has no SHA-256", e);
    }
  }

  static String hex(MessageDigest digest) {
    return HexFormat.of().formatHex(digest.digest());
  }

  /** An output stream that checksums what passes through it. */
  static DigestOutputStream digesting(OutputStream out) {
    return new DigestOutputStream(out, newDigest());
  }
}
