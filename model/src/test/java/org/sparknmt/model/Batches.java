package org.sparknmt.model;

import java.util.Random;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.MultiDataSet;
import org.nd4j.linalg.factory.Nd4j;

/** Test batches in the data contract's layout (see TransformerFactory). */
final class Batches {
  private Batches() {}

  /**
   * Random sentence pairs: source = x1..xm {@code </s>}, decoder input = {@code <s>} y1..yn, labels
   * = y1..yn {@code </s>}, padded with 0; token ids in [4, vocab).
   */
  static MultiDataSet random(
      long seed, int vocab, int[] srcLengths, int[] tgtLengths, DataType type) {
    Random r = new Random(seed);
    int b = srcLengths.length;
    int[][] src = new int[b][];
    int[][] tgt = new int[b][];
    for (int i = 0; i < b; i++) {
      src[i] = new int[srcLengths[i] - 1];
      for (int j = 0; j < src[i].length; j++) {
        src[i][j] = 4 + r.nextInt(vocab - 4);
      }
      tgt[i] = new int[tgtLengths[i] - 1];
      for (int j = 0; j < tgt[i].length; j++) {
        tgt[i][j] = 4 + r.nextInt(vocab - 4);
      }
    }
    return of(src, tgt, type);
  }

  /** A batch from token sequences without specials ({@code </s>}/{@code <s>} are added). */
  static MultiDataSet of(int[][] src, int[][] tgt, DataType type) {
    int b = src.length;
    int s = 0;
    int t = 0;
    for (int i = 0; i < b; i++) {
      s = Math.max(s, src[i].length + 1);
      t = Math.max(t, tgt[i].length + 1);
    }
    INDArray fs = Nd4j.zeros(type, b, s);
    INDArray ft = Nd4j.zeros(type, b, t);
    INDArray ms = Nd4j.zeros(type, b, s);
    INDArray mt = Nd4j.zeros(type, b, t);
    INDArray lab = Nd4j.zeros(type, b, 1, t);
    for (int i = 0; i < b; i++) {
      for (int j = 0; j < src[i].length; j++) {
        fs.putScalar(i, j, src[i][j]);
      }
      fs.putScalar(i, src[i].length, 2);
      for (int j = 0; j <= src[i].length; j++) {
        ms.putScalar(i, j, 1);
      }
      ft.putScalar(i, 0, 1);
      for (int j = 0; j < tgt[i].length; j++) {
        ft.putScalar(i, j + 1, tgt[i][j]);
        lab.putScalar(i, 0, j, tgt[i][j]);
      }
      lab.putScalar(i, 0, tgt[i].length, 2);
      for (int j = 0; j <= tgt[i].length; j++) {
        mt.putScalar(i, j, 1);
      }
    }
    return new MultiDataSet(
        new INDArray[] {fs, ft},
        new INDArray[] {lab},
        new INDArray[] {ms, mt},
        new INDArray[] {mt});
  }
}
