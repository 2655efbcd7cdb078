package org.sparknmt.jobs.proof;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.api.MultiDataSet;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Synthetic classification data for the platform proof: {@code classes} Gaussian clusters in {@code
 * features} dimensions (centres ~ N(0, 1) per coordinate, noise sd 0.5), learnable by a small
 * network in a few epochs. Deterministic for a given seed.
 */
public final class ProofData {
  private final int features;
  private final int classes;
  private final double[][] centres;
  private final Random random;

  public ProofData(int features, int classes, long seed) {
    this.features = features;
    this.classes = classes;
    this.random = new Random(seed);
    this.centres = new double[classes][features];
    for (double[] c : centres) {
      for (int j = 0; j < features; j++) {
        c[j] = random.nextGaussian();
      }
    }
  }

  /** One batch: features {@code [batch, features]}, one-hot labels {@code [batch, classes]}. */
  public MultiDataSet batch(int batchSize) {
    INDArray x = Nd4j.create(DataType.FLOAT, batchSize, features);
    INDArray y = Nd4j.zeros(DataType.FLOAT, batchSize, classes);
    for (int i = 0; i < batchSize; i++) {
      int k = random.nextInt(classes);
      for (int j = 0; j < features; j++) {
        x.putScalar(i, j, centres[k][j] + random.nextGaussian() * 0.5);
      }
      y.putScalar(i, k, 1.0);
    }
    return new org.nd4j.linalg.dataset.MultiDataSet(x, y);
  }

  public List<MultiDataSet> batches(int count, int batchSize) {
    List<MultiDataSet> out = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      out.add(batch(batchSize));
    }
    return out;
  }
}
