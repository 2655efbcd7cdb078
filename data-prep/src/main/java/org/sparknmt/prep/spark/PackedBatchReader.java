package org.sparknmt.prep.spark;

import java.io.ByteArrayInputStream;
import java.io.Closeable;
import java.io.EOFException;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.HashMap;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataInputStream;
import org.apache.hadoop.fs.Path;
import org.nd4j.linalg.dataset.MultiDataSet;
import org.sparknmt.prep.shard.BatchRef;

/**
 * Reads batches out of packed part files by reference ({@link BatchRef}): each part is opened once
 * per reader and kept open, and each batch is one positional read of its bytes. One reader serves
 * one task (a worker's round, an evaluation set); not thread-safe.
 */
public final class PackedBatchReader implements Closeable {
  private final Configuration conf;
  private final Map<String, FSDataInputStream> open = new HashMap<>();

  public PackedBatchReader(Configuration conf) {
    this.conf = conf;
  }

  /** The bytes of the batch at {@code ref}, as {@code MultiDataSet.save} wrote them. */
  public byte[] read(BatchRef ref) throws IOException {
    FSDataInputStream in = open.get(ref.part());
    if (in == null) {
      Path p = new Path(ref.part());
      try {
        in = p.getFileSystem(conf).open(p);
      } catch (FileNotFoundException e) {
        throw new FileNotFoundException("part file of batch " + ref + " is missing");
      }
      open.put(ref.part(), in);
    }
    byte[] bytes = new byte[(int) ref.length()];
    try {
      in.readFully(ref.offset(), bytes);
    } catch (EOFException e) {
      throw new EOFException("batch " + ref + " lies beyond the end of its part file");
    }
    return bytes;
  }

  /** The batch at {@code ref}. */
  public MultiDataSet load(BatchRef ref) {
    try {
      MultiDataSet m = new MultiDataSet();
      m.load(new ByteArrayInputStream(read(ref)));
      return m;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read batch " + ref + ": " + e.getMessage(), e);
    }
  }

  /** The batch whose reference is {@code ref} in text form. */
  public MultiDataSet load(String ref) {
    return load(BatchRef.parse(ref));
  }

  @Override
  public void close() throws IOException {
    IOException first = null;
    for (FSDataInputStream in : open.values()) {
      try {
        in.close();
      } catch (IOException e) {
        first = first == null ? e : first;
      }
    }
    open.clear();
    if (first != null) {
      throw first;
    }
  }
}
