package org.sparknmt.jobs.kryo;

import com.esotericsoftware.kryo.Kryo;
import com.esotericsoftware.kryo.KryoException;
import com.esotericsoftware.kryo.Serializer;
import com.esotericsoftware.kryo.io.Input;
import com.esotericsoftware.kryo.io.Output;
import java.nio.ByteOrder;
import org.bytedeco.javacpp.BytePointer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.concurrency.AffinityManager;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Kryo serializer of an {@link INDArray} that copies its memory in blocks: data type, shape, byte
 * order, then the elements' bytes as they lie in memory (C order), 8 MB at a time.
 *
 * <p>Why: parameter averaging moves the model's parameters and Adam's two moments through Spark
 * every round, down in the broadcast and up in every worker's result (12 bytes per parameter each
 * way, 91 MB for the {@code small} preset). ND4J's own {@code Nd4jSerializer} goes through {@code
 * Nd4j.write}/{@code read}, which convert one element at a time through a {@code DataOutputStream};
 * on the standalone cluster that made the overhead of a round grow by ~0.2 s per million parameters
 * (docs/BENCHMARKS.md, "Scaling model"). A block copy moves the same bytes with {@code memcpy}.
 *
 * <p>Arrays are read on a machine of the same byte order (a mixed cluster is refused with a
 * message). On CUDA the array is synchronised to the host before it is written and tagged as
 * changed on the host after it is read (ND4J's affinity manager); not run here (no GPU).
 */
public final class BulkNdArraySerializer extends Serializer<INDArray> {
  private static final int BLOCK = 8 << 20;
  private static final byte LITTLE = 1;
  private static final byte BIG = 2;
  private static final byte NATIVE =
      ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN ? LITTLE : BIG;

  @Override
  public void write(Kryo kryo, Output output, INDArray array) {
    INDArray a = contiguous(array);
    output.writeString(a.dataType().name());
    long[] shape = a.shape();
    output.writeInt(shape.length, true);
    for (long d : shape) {
      output.writeLong(d, true);
    }
    output.writeByte(NATIVE);
    long bytes = a.length() * a.dataType().width();
    if (bytes == 0) {
      return;
    }
    Nd4j.getAffinityManager().ensureLocation(a, AffinityManager.Location.HOST);
    BytePointer memory = bytesOf(a, bytes);
    byte[] block = new byte[(int) Math.min(BLOCK, bytes)];
    for (long at = 0; at < bytes; at += block.length) {
      int n = (int) Math.min(block.length, bytes - at);
      memory.position(at).get(block, 0, n);
      output.writeBytes(block, 0, n);
    }
  }

  @Override
  public INDArray read(Kryo kryo, Input input, Class<INDArray> type) {
    DataType dataType = DataType.valueOf(input.readString());
    long[] shape = new long[input.readInt(true)];
    for (int i = 0; i < shape.length; i++) {
      shape[i] = input.readLong(true);
    }
    byte order = input.readByte();
    if (order != NATIVE) {
      throw new KryoException(
          "an array written on a "
              + (order == LITTLE ? "little" : "big")
              + "-endian machine cannot be read on this "
              + (NATIVE == LITTLE ? "little" : "big")
              + "-endian one: run the cluster on machines of one byte order");
    }
    INDArray a = Nd4j.createUninitialized(dataType, shape, 'c');
    long bytes = a.length() * dataType.width();
    if (bytes == 0) {
      return a;
    }
    BytePointer memory = bytesOf(a, bytes);
    byte[] block = new byte[(int) Math.min(BLOCK, bytes)];
    for (long at = 0; at < bytes; at += block.length) {
      int n = (int) Math.min(block.length, bytes - at);
      input.readBytes(block, 0, n);
      memory.position(at).put(block, 0, n);
    }
    Nd4j.getAffinityManager().tagLocation(a, AffinityManager.Location.HOST);
    return a;
  }

  /** The array itself if its elements lie in its own buffer in C order, else a C-order copy. */
  static INDArray contiguous(INDArray a) {
    boolean own =
        !a.isView()
            && a.ordering() == 'c'
            && a.data().offset() == 0
            && a.data().length() == a.length();
    return own ? a : a.dup('c');
  }

  /** The array's memory as bytes (position 0 = its first element). */
  private static BytePointer bytesOf(INDArray a, long bytes) {
    BytePointer p = new BytePointer(a.data().pointer());
    p.position(0);
    p.capacity(bytes);
    return p;
  }
}
