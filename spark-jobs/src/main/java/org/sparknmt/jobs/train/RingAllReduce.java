package org.sparknmt.jobs.train;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.BooleanSupplier;
import java.util.function.Function;

/**
 * Sums a float vector across the N members of a group, in place, by a ring all-reduce
 * (reduce-scatter then all-gather, as Horovod and NCCL do it): each member sends and receives 2 ×
 * (N − 1) / N of the vector's bytes, whatever N, and nobody holds more than one vector. Members
 * reach each other over TCP: each listens on an ephemeral port and learns the others' addresses
 * from {@code allGather} (in a Spark barrier task: {@code BarrierTaskContext.allGather}), then
 * connects to the next member of the ring and accepts the previous one.
 *
 * <p>A member that fails closes its sockets, and its neighbours' reads end with an error instead of
 * waiting; a member that goes silent (its machine lost) is given up after {@link
 * #SILENCE_LIMIT_MILLIS}; {@code cancelled} (the Spark task killed) is checked every second while
 * waiting.
 */
final class RingAllReduce implements AutoCloseable {
  /** Longest wait for a neighbour's next bytes: longer than any round's training on one worker. */
  static final long SILENCE_LIMIT_MILLIS = 30 * 60 * 1000L;

  private static final int POLL_MILLIS = 1000;
  private static final int CHUNK_FLOATS = 1 << 16;

  private final int rank;
  private final int size;
  private final BooleanSupplier cancelled;
  private final ServerSocket server;
  private final Socket toNext;
  private final Socket fromPrevious;
  private final OutputStream out;
  private final InputStream in;
  private final ExecutorService sender;
  private final byte[] receiveBytes = new byte[CHUNK_FLOATS * Float.BYTES];
  private final byte[] sendBytes = new byte[CHUNK_FLOATS * Float.BYTES];

  private RingAllReduce(
      int rank,
      int size,
      BooleanSupplier cancelled,
      ServerSocket server,
      Socket toNext,
      Socket fromPrevious)
      throws IOException {
    this.rank = rank;
    this.size = size;
    this.cancelled = cancelled;
    this.server = server;
    this.toNext = toNext;
    this.fromPrevious = fromPrevious;
    if (size > 1) {
      out = new BufferedOutputStream(toNext.getOutputStream(), 1 << 16);
      in = new BufferedInputStream(fromPrevious.getInputStream(), 1 << 16);
      sender =
          Executors.newSingleThreadExecutor(
              r -> {
                Thread t = new Thread(r, "sparknmt-allreduce-send-" + rank);
                t.setDaemon(true);
                return t;
              });
    } else {
      out = null;
      in = null;
      sender = null;
    }
  }

  /**
   * Joins the ring as member {@code rank} of {@code size}.
   *
   * @param host this member's address as the others can reach it
   * @param allGather called once with this member's {@code host:port}; returns every member's, by
   *     rank (all members call it)
   * @param cancelled true when the caller should stop waiting (checked every second)
   */
  static RingAllReduce join(
      int rank,
      int size,
      String host,
      Function<String, String[]> allGather,
      BooleanSupplier cancelled)
      throws IOException {
    if (size == 1) {
      return new RingAllReduce(0, 1, cancelled, null, null, null);
    }
    ServerSocket server = new ServerSocket();
    Socket toNext = null;
    Socket fromPrevious = null;
    try {
      server.bind(new InetSocketAddress(0));
      server.setSoTimeout(POLL_MILLIS);
      String[] members = allGather.apply(host + ":" + server.getLocalPort());
      if (members.length != size) {
        throw new IOException("all-gather returned " + members.length + " members, not " + size);
      }
      toNext = new Socket();
      toNext.setTcpNoDelay(true);
      toNext.connect(socketAddress(members[(rank + 1) % size]), (int) SILENCE_LIMIT_MILLIS);
      new DataOutputStream(toNext.getOutputStream()).writeInt(rank);
      long deadline = System.currentTimeMillis() + SILENCE_LIMIT_MILLIS;
      while (fromPrevious == null) {
        try {
          fromPrevious = server.accept();
        } catch (SocketTimeoutException e) {
          checkWaiting(deadline, "member " + ((rank + size - 1) % size) + " to connect", cancelled);
        }
      }
      fromPrevious.setSoTimeout(POLL_MILLIS);
      int previous = readInt(new DataInputStream(fromPrevious.getInputStream()), cancelled);
      if (previous != (rank + size - 1) % size) {
        throw new IOException(
            "ring member "
                + rank
                + " was connected by member "
                + previous
                + ", expected "
                + ((rank + size - 1) % size));
      }
      return new RingAllReduce(rank, size, cancelled, server, toNext, fromPrevious);
    } catch (IOException | RuntimeException e) {
      closeQuietly(fromPrevious);
      closeQuietly(toNext);
      closeQuietly(server);
      throw e;
    }
  }

  /** Members of the ring. */
  int size() {
    return size;
  }

  /**
   * Replaces {@code data} by the element-wise sum of every member's {@code data} (same length on
   * every member). Member r ends the reduce-scatter holding the sum of segment r + 1, then the
   * all-gather passes every finished segment round the ring.
   */
  void sum(float[] data) throws IOException {
    if (size == 1) {
      return;
    }
    for (int step = 0; step < size - 1; step++) {
      exchange(data, segment(rank - step), segment(rank - step - 1), true);
    }
    for (int step = 0; step < size - 1; step++) {
      exchange(data, segment(rank + 1 - step), segment(rank - step), false);
    }
  }

  private int segment(int i) {
    return Math.floorMod(i, size);
  }

  private int segmentStart(int length, int segment) {
    return (int) ((long) length * segment / size);
  }

  /**
   * Sends segment {@code send} to the next member while receiving {@code receive} from the
   * previous.
   */
  private void exchange(float[] data, int send, int receive, boolean add) throws IOException {
    int sendFrom = segmentStart(data.length, send);
    int sendTo = segmentStart(data.length, send + 1);
    Future<?> sending =
        sender.submit(
            () -> {
              write(data, sendFrom, sendTo);
              return null;
            });
    try {
      read(data, segmentStart(data.length, receive), segmentStart(data.length, receive + 1), add);
      sending.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while sending to ring member " + (rank + 1) % size, e);
    } catch (ExecutionException e) {
      throw new IOException(
          "sending to ring member " + (rank + 1) % size + " failed: " + e.getCause(), e.getCause());
    } finally {
      sending.cancel(false);
    }
  }

  private void write(float[] data, int from, int to) throws IOException {
    ByteBuffer bytes = ByteBuffer.wrap(sendBytes).order(ByteOrder.LITTLE_ENDIAN);
    for (int at = from; at < to; at += CHUNK_FLOATS) {
      int n = Math.min(CHUNK_FLOATS, to - at);
      bytes.clear();
      bytes.asFloatBuffer().put(data, at, n);
      out.write(sendBytes, 0, n * Float.BYTES);
    }
    out.flush();
  }

  private void read(float[] data, int from, int to, boolean add) throws IOException {
    ByteBuffer bytes = ByteBuffer.wrap(receiveBytes).order(ByteOrder.LITTLE_ENDIAN);
    for (int at = from; at < to; at += CHUNK_FLOATS) {
      int n = Math.min(CHUNK_FLOATS, to - at);
      readFully(in, receiveBytes, n * Float.BYTES, cancelled);
      bytes.clear();
      if (add) {
        for (int i = 0; i < n; i++) {
          data[at + i] += bytes.getFloat(i * Float.BYTES);
        }
      } else {
        bytes.asFloatBuffer().get(data, at, n);
      }
    }
  }

  private static int readInt(DataInputStream in, BooleanSupplier cancelled) throws IOException {
    byte[] four = new byte[4];
    readFully(in, four, 4, cancelled);
    return ByteBuffer.wrap(four).getInt();
  }

  /** Reads {@code n} bytes, waking every second to check for cancellation and silence. */
  private static void readFully(InputStream in, byte[] into, int n, BooleanSupplier cancelled)
      throws IOException {
    long deadline = System.currentTimeMillis() + SILENCE_LIMIT_MILLIS;
    int got = 0;
    while (got < n) {
      try {
        int r = in.read(into, got, n - got);
        if (r < 0) {
          throw new IOException("the previous ring member closed the connection (it failed)");
        }
        got += r;
        deadline = System.currentTimeMillis() + SILENCE_LIMIT_MILLIS;
      } catch (SocketTimeoutException e) {
        checkWaiting(deadline, "the previous ring member", cancelled);
      }
    }
  }

  /** {@code host:port} as a socket address. */
  static InetSocketAddress socketAddress(String hostPort) {
    int colon = hostPort.lastIndexOf(':');
    return new InetSocketAddress(
        hostPort.substring(0, colon), Integer.parseInt(hostPort.substring(colon + 1)));
  }

  /**
   * After a second of waiting for {@code what}: fails if the caller was cancelled or the wait has
   * passed {@code deadline}.
   */
  static void checkWaiting(long deadline, String what, BooleanSupplier cancelled)
      throws IOException {
    if (cancelled.getAsBoolean()) {
      throw new IOException("cancelled while waiting for " + what);
    }
    if (System.currentTimeMillis() > deadline) {
      throw new IOException(
          "gave up waiting for " + what + " after " + SILENCE_LIMIT_MILLIS / 1000 + " s");
    }
  }

  @Override
  public void close() {
    if (sender != null) {
      sender.shutdownNow();
    }
    closeQuietly(fromPrevious);
    closeQuietly(toNext);
    closeQuietly(server);
  }

  private static void closeQuietly(AutoCloseable c) {
    if (c == null) {
      return;
    }
    try {
      c.close();
    } catch (Exception e) {
      // closing after a failure: the failure is what matters
    }
  }
}
