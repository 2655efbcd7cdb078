package org.sparknmt.jobs.store;

import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.DelegateToFileSystem;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RawLocalFileSystem;
import org.apache.hadoop.fs.permission.FsPermission;
import org.apache.hadoop.util.Progressable;

/**
 * The local file system under the scheme {@code faulty://}, failing on request: the n-th {@code
 * create}, {@code rename} or output stream {@code close} from now, every write once a number of
 * bytes has been written (a full disk), or a write that hangs until released (a disk that stops
 * answering mid-file, see {@link Stall}). {@link #configure} registers it for {@link
 * org.apache.hadoop.fs.FileSystem} and {@link org.apache.hadoop.fs.FileContext}; {@link #reset}
 * clears the faults.
 */
public final class FaultyFileSystem extends RawLocalFileSystem {
  private static final AtomicInteger createsUntilFailure = new AtomicInteger(-1);
  private static final AtomicInteger renamesUntilFailure = new AtomicInteger(-1);
  private static final AtomicInteger closesUntilFailure = new AtomicInteger(-1);
  private static final AtomicLong bytesUntilFull = new AtomicLong(-1);
  private static volatile Stall stall;

  /** A configuration that maps {@code faulty://} to this file system (uncached). */
  public static Configuration configure(Configuration conf) {
    conf.set("fs.faulty.impl", FaultyFileSystem.class.getName());
    conf.setBoolean("fs.faulty.impl.disable.cache", true);
    conf.set("fs.AbstractFileSystem.faulty.impl", Context.class.getName());
    return conf;
  }

  /** {@code faulty://} + the absolute local path. */
  public static URI uri(java.nio.file.Path local) {
    return URI.create("faulty://" + local.toAbsolutePath().toUri().getPath());
  }

  public static void reset() {
    createsUntilFailure.set(-1);
    renamesUntilFailure.set(-1);
    closesUntilFailure.set(-1);
    bytesUntilFull.set(-1);
    Stall s = stall;
    stall = null;
    if (s != null) {
      s.release();
    }
  }

  /** The n-th {@code create} from now (1 = the next) throws. */
  public static void failCreate(int n) {
    createsUntilFailure.set(n);
  }

  /** The n-th {@code rename} from now (1 = the next) throws. */
  public static void failRename(int n) {
    renamesUntilFailure.set(n);
  }

  /**
   * The n-th {@code close} of an output stream from now (1 = the next) throws after the bytes
   * reached the disk: the writer must not take the file as written (on HDFS, {@code close} is where
   * the last block is completed and can fail).
   */
  public static void failClose(int n) {
    closesUntilFailure.set(n);
  }

  /** The write that passes {@code bytes} more bytes hangs until the returned stall is released. */
  public static Stall stallAfter(long bytes) {
    Stall s = new Stall(bytes);
    stall = s;
    return s;
  }

  /** Writes fail with "No space left on device" once {@code bytes} more bytes were written. */
  public static void diskFullAfter(long bytes) {
    bytesUntilFull.set(bytes);
  }

  private static void countDown(AtomicInteger counter, String op, Path path) throws IOException {
    if (counter.get() > 0 && counter.decrementAndGet() == 0) {
      throw new IOException("injected fault: " + op + " " + path);
    }
  }

  @Override
  public URI getUri() {
    return URI.create("faulty:///");
  }

  @Override
  public String getScheme() {
    return "faulty";
  }

  @Override
  public FSDataOutputStream create(
      Path f,
      FsPermission permission,
      boolean overwrite,
      int bufferSize,
      short replication,
      long blockSize,
      Progressable progress)
      throws IOException {
    countDown(createsUntilFailure, "create", f);
    FSDataOutputStream out =
        super.create(f, permission, overwrite, bufferSize, replication, blockSize, progress);
    return new FSDataOutputStream(new Filling(out, f), null);
  }

  @Override
  public FSDataOutputStream create(
      Path f, boolean overwrite, int bufferSize, short replication, long blockSize, Progressable p)
      throws IOException {
    return create(
        f, FsPermission.getFileDefault(), overwrite, bufferSize, replication, blockSize, p);
  }

  /**
   * Statuses without the local file system's lazily loaded permissions, which it reads through a
   * {@code file:} URI and so fails for {@code faulty:} paths (when Spark lists an input).
   */
  @Override
  public org.apache.hadoop.fs.FileStatus getFileStatus(Path f) throws IOException {
    return plain(super.getFileStatus(f));
  }

  @Override
  public org.apache.hadoop.fs.FileStatus[] listStatus(Path f) throws IOException {
    org.apache.hadoop.fs.FileStatus[] raw = super.listStatus(f);
    org.apache.hadoop.fs.FileStatus[] out = new org.apache.hadoop.fs.FileStatus[raw.length];
    for (int i = 0; i < raw.length; i++) {
      out[i] = plain(raw[i]);
    }
    return out;
  }

  private static org.apache.hadoop.fs.FileStatus plain(org.apache.hadoop.fs.FileStatus s) {
    return new org.apache.hadoop.fs.FileStatus(
        s.getLen(),
        s.isDirectory(),
        s.getReplication(),
        s.getBlockSize(),
        s.getModificationTime(),
        s.getAccessTime(),
        s.isDirectory() ? FsPermission.getDirDefault() : FsPermission.getFileDefault(),
        System.getProperty("user.name"),
        "",
        s.getPath());
  }

  @Override
  public boolean rename(Path src, Path dst) throws IOException {
    countDown(renamesUntilFailure, "rename", src);
    return super.rename(src, dst);
  }

  /**
   * A write that hangs once a number of bytes has passed, until {@link #release}d: lets a test look
   * at what readers see while a writer is stuck in the middle of a file.
   */
  public static final class Stall {
    private final AtomicLong bytesLeft;
    private final CountDownLatch reached = new CountDownLatch(1);
    private final CountDownLatch released = new CountDownLatch(1);

    private Stall(long bytes) {
      this.bytesLeft = new AtomicLong(bytes);
    }

    /** Waits up to {@code timeout} for a writer to hang in this stall; whether one does. */
    public boolean awaitWriter(long timeout, TimeUnit unit) throws InterruptedException {
      return reached.await(timeout, unit);
    }

    /** Lets the hanging writer (and every later one) go on. */
    public void release() {
      released.countDown();
    }

    private void pass(long n) throws IOException {
      if (released.getCount() > 0 && bytesLeft.addAndGet(-n) < 0) {
        reached.countDown();
        try {
          released.await();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new java.io.InterruptedIOException("stalled write interrupted");
        }
      }
    }
  }

  /** Counts written bytes against the space left and the stall; fails the n-th close. */
  private static final class Filling extends FilterOutputStream {
    private final Path path;
    private boolean closed;

    Filling(OutputStream out, Path path) {
      super(out);
      this.path = path;
    }

    private void take(long n) throws IOException {
      if (bytesUntilFull.get() >= 0 && bytesUntilFull.addAndGet(-n) < 0) {
        bytesUntilFull.set(0);
        throw new IOException("No space left on device (injected)");
      }
      Stall s = stall;
      if (s != null) {
        s.pass(n);
      }
    }

    @Override
    public void close() throws IOException {
      if (closed) {
        return;
      }
      closed = true;
      super.close();
      countDown(closesUntilFailure, "close", path);
    }

    @Override
    public void write(int b) throws IOException {
      take(1);
      out.write(b);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
      take(len);
      out.write(b, off, len);
    }
  }

  /** The {@link org.apache.hadoop.fs.AbstractFileSystem} for {@code FileContext} (renames). */
  public static final class Context extends DelegateToFileSystem {
    public Context(URI uri, Configuration conf) throws IOException, URISyntaxException {
      super(uri, new FaultyFileSystem(), conf, "faulty", false);
    }
  }
}
