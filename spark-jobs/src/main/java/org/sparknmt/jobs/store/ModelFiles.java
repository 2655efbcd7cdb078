package org.sparknmt.jobs.store;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.security.DigestInputStream;
import java.security.DigestOutputStream;
import java.util.function.Consumer;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.util.ModelSerializer;

/**
 * DL4J model zips on a Hadoop file system, checksummed in the same pass as they are written/read.
 */
final class ModelFiles {
  private ModelFiles() {}

  /** Writes {@code graph} (with its updater state if asked) to a new file; returns its SHA-256. */
  static String write(FileSystem fs, Path file, ComputationGraph graph, boolean withUpdater)
      throws IOException {
    try (FSDataOutputStream raw = fs.create(file, false);
        DigestOutputStream out = Manifest.digesting(raw)) {
      ModelSerializer.writeModel(graph, out, withUpdater);
      out.flush();
      return Manifest.hex(out.getMessageDigest());
    }
  }

  /** Copies a file to a new file; returns its SHA-256. */
  static String copy(FileSystem srcFs, Path src, FileSystem dstFs, Path dst) throws IOException {
    try (InputStream in = srcFs.open(src);
        OutputStream raw = dstFs.create(dst, false);
        DigestOutputStream out = Manifest.digesting(raw)) {
      in.transferTo(out);
      out.flush();
      return Manifest.hex(out.getMessageDigest());
    }
  }

  /**
   * Loads a model zip. The file is copied to a local temporary file (DL4J reads zips from local
   * files anyway) while its SHA-256 is computed; {@code checkSha256} sees the checksum before the
   * model is deserialised and throws to refuse it.
   */
  static ComputationGraph load(
      FileSystem fs, Path file, boolean withUpdater, Consumer<String> checkSha256)
      throws IOException {
    java.nio.file.Path local = Files.createTempFile("sparknmt-model-", ".zip");
    try {
      String sha;
      try (InputStream raw = fs.open(file);
          DigestInputStream in = new DigestInputStream(raw, Manifest.newDigest());
          OutputStream out = Files.newOutputStream(local)) {
        in.transferTo(out);
        sha = Manifest.hex(in.getMessageDigest());
      }
      checkSha256.accept(sha);
      return ModelSerializer.restoreComputationGraph(local.toFile(), withUpdater);
    } finally {
      Files.deleteIfExists(local);
    }
  }
}
