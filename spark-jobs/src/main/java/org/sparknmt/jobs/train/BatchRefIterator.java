package org.sparknmt.jobs.train;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Iterator;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.nd4j.linalg.dataset.api.MultiDataSet;
import org.nd4j.linalg.dataset.api.MultiDataSetPreProcessor;
import org.nd4j.linalg.dataset.api.iterator.MultiDataSetIterator;
import org.sparknmt.prep.spark.PackedBatchReader;

/**
 * A worker's batches, read one by one from their references ({@code <part>#<offset>+<length>})
 * through one {@link PackedBatchReader}: every part file the worker's batches lie in is opened once
 * per task, not once per batch. Closes the reader when the last batch has been read (or by {@link
 * #close}).
 */
final class BatchRefIterator implements MultiDataSetIterator, AutoCloseable {
  private static final long serialVersionUID = 1L;

  private final List<String> refs;
  private final transient PackedBatchReader reader;
  private transient Iterator<String> next;
  private MultiDataSetPreProcessor preProcessor;

  BatchRefIterator(List<String> refs, Configuration conf) {
    this.refs = refs;
    this.reader = new PackedBatchReader(conf);
    this.next = refs.iterator();
  }

  @Override
  public boolean hasNext() {
    return next.hasNext();
  }

  @Override
  public MultiDataSet next() {
    MultiDataSet m = reader.load(next.next());
    if (preProcessor != null) {
      preProcessor.preProcess(m);
    }
    if (!next.hasNext()) {
      close();
    }
    return m;
  }

  @Override
  public MultiDataSet next(int num) {
    return next();
  }

  @Override
  public void close() {
    try {
      reader.close();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public boolean resetSupported() {
    return true;
  }

  @Override
  public boolean asyncSupported() {
    return true;
  }

  @Override
  public void reset() {
    next = refs.iterator();
  }

  @Override
  public void setPreProcessor(MultiDataSetPreProcessor preProcessor) {
    this.preProcessor = preProcessor;
  }

  @Override
  public MultiDataSetPreProcessor getPreProcessor() {
    return preProcessor;
  }
}
