package org.sparknmt.jobs.train;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where the members of a ring all-reduce ({@link RingAllReduce}) learn each other's addresses: a
 * listener on the driver, as Horovod's and XGBoost's trackers do. Each member sends its rank and
 * address, and once all have, every member gets the list by rank.
 *
 * <p>Spark's own {@code BarrierTaskContext.allGather} does the same through the driver's barrier
 * coordinator, but its waiting loop wakes once a second: every call took ≥ 1 s on Spark 3.5 (1.00 s
 * measured, per split), a third of a split's averaging overhead here.
 */
final class RingRendezvous implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(RingRendezvous.class);
  private static final int POLL_MILLIS = 1000;
  private static final byte READY = 1;

  private final ServerSocket server;
  private final String address;
  private final Thread thread;

  private RingRendezvous(ServerSocket server, String address, int members) {
    this.server = server;
    this.address = address;
    this.thread = new Thread(() -> serve(members), "sparknmt-ring-rendezvous");
    thread.setDaemon(true);
    thread.start();
  }

  /**
   * Listens on an ephemeral port of all interfaces for {@code members} members.
   *
   * @param host the address the members reach this JVM at (the driver's {@code spark.driver.host})
   */
  static RingRendezvous open(String host, int members) throws IOException {
    ServerSocket server = new ServerSocket();
    server.bind(new InetSocketAddress(0));
    return new RingRendezvous(server, host + ":" + server.getLocalPort(), members);
  }

  /** {@code host:port} for the members' {@link #gather}. */
  String address() {
    return address;
  }

  private void serve(int members) {
    List<Socket> sockets = new ArrayList<>();
    try {
      String[] addresses = new String[members];
      while (sockets.size() < members) {
        Socket s = server.accept();
        sockets.add(s);
        DataInputStream in = new DataInputStream(s.getInputStream());
        int rank = in.readInt();
        if (rank < 0 || rank >= members || addresses[rank] != null) {
          throw new IOException("ring rendezvous: unexpected rank " + rank + " of " + members);
        }
        addresses[rank] = in.readUTF();
      }
      for (Socket s : sockets) {
        DataOutputStream out = new DataOutputStream(s.getOutputStream());
        out.writeByte(READY);
        for (String a : addresses) {
          out.writeUTF(a);
        }
        out.flush();
      }
    } catch (IOException e) {
      if (!server.isClosed()) {
        // the members see their connection closed and fail; the split starts over
        LOG.warn("ring rendezvous at {} failed: {}", address, e.toString());
      }
    } finally {
      for (Socket s : sockets) {
        try {
          s.close();
        } catch (IOException e) {
          // closing
        }
      }
    }
  }

  /**
   * A member's side: sends {@code rank} and {@code own} address to the rendezvous at {@code
   * rendezvous} and returns every member's address by rank.
   *
   * @param cancelled checked every second while waiting for the other members
   */
  static String[] gather(
      String rendezvous, int rank, int members, String own, BooleanSupplier cancelled)
      throws IOException {
    try (Socket s = new Socket()) {
      s.connect(RingAllReduce.socketAddress(rendezvous), (int) RingAllReduce.SILENCE_LIMIT_MILLIS);
      s.setSoTimeout(POLL_MILLIS);
      DataOutputStream out = new DataOutputStream(s.getOutputStream());
      out.writeInt(rank);
      out.writeUTF(own);
      out.flush();
      DataInputStream in = new DataInputStream(s.getInputStream());
      long deadline = System.currentTimeMillis() + RingAllReduce.SILENCE_LIMIT_MILLIS;
      while (true) {
        try {
          // sent once every member has sent its address; the list follows at once
          if (in.readByte() != READY) {
            throw new IOException("ring rendezvous at " + rendezvous + ": unexpected reply");
          }
          s.setSoTimeout((int) RingAllReduce.SILENCE_LIMIT_MILLIS);
          String[] addresses = new String[members];
          for (int i = 0; i < members; i++) {
            addresses[i] = in.readUTF();
          }
          return addresses;
        } catch (SocketTimeoutException e) {
          RingAllReduce.checkWaiting(deadline, "the other ring members to start", cancelled);
        }
      }
    }
  }

  /** Stops listening. */
  @Override
  public void close() throws IOException {
    server.close();
    try {
      thread.join(POLL_MILLIS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
