package org.sparknmt.prep.shard;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.dataset.MultiDataSet;

class BatchBuilderTest {
  private final List<EncodedPair> pairs =
      List.of(
          new EncodedPair(1, new int[] {10, 11, 12}, new int[] {20}),
          new EncodedPair(2, new int[] {13}, new int[] {21, 22, 23}));

  @Test
  void layoutMatchesTheModelContract() {
    MultiDataSet m = BatchBuilder.build(pairs);
    // B=2, S = 3 pieces + </s> = 4, T = 3 pieces + 1 = 4
    assertArrayEquals(new long[] {2, 4}, m.getFeatures(0).shape());
    assertArrayEquals(new long[] {2, 4}, m.getFeatures(1).shape());
    assertArrayEquals(new long[] {2, 1, 4}, m.getLabels(0).shape());
    assertEquals(DataType.FLOAT, m.getFeatures(0).dataType());

    assertArrayEquals(new float[] {10, 11, 12, 2, 13, 2, 0, 0}, flat(m.getFeatures(0)));
    assertArrayEquals(new float[] {1, 1, 1, 1, 1, 1, 0, 0}, flat(m.getFeaturesMaskArray(0)));
    assertArrayEquals(new float[] {1, 20, 0, 0, 1, 21, 22, 23}, flat(m.getFeatures(1)));
    assertArrayEquals(new float[] {1, 1, 0, 0, 1, 1, 1, 1}, flat(m.getFeaturesMaskArray(1)));
    assertArrayEquals(new float[] {20, 2, 0, 0, 21, 22, 23, 2}, flat(m.getLabels(0)));
    assertArrayEquals(new float[] {1, 1, 0, 0, 1, 1, 1, 1}, flat(m.getLabelsMaskArray(0)));
  }

  @Test
  void roundTripsThroughSave() throws Exception {
    MultiDataSet m = BatchBuilder.build(pairs);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    m.save(out);
    MultiDataSet back = new MultiDataSet();
    back.load(new ByteArrayInputStream(out.toByteArray()));
    assertEquals(m.getFeatures(0), back.getFeatures(0));
    assertEquals(m.getLabels(0), back.getLabels(0));
    assertEquals(m.getLabelsMaskArray(0), back.getLabelsMaskArray(0));
    assertEquals(m.getFeaturesMaskArray(1), back.getFeaturesMaskArray(1));
  }

  @Test
  void statsCountRealAndPaddedPositions() {
    BatchStats s = BatchStats.of(pairs, new Bucketing(4, 2));
    assertEquals(4, s.sourceLength());
    assertEquals(4, s.targetLength());
    assertEquals(4 + 2, s.sourceTokens());
    assertEquals(2 + 4, s.targetTokens());
    assertEquals(16, s.paddedPositions());
    assertEquals(0, s.bucket());
    ShardSummary sum = ShardSummary.of(List.of(s, s), new Bucketing(4, 2));
    assertEquals(24.0 / 32, sum.paddingEfficiency(), 1e-12);
    assertEquals(1, sum.buckets().size());
    assertEquals(2, sum.buckets().get(0).batches());
  }

  private static float[] flat(org.nd4j.linalg.api.ndarray.INDArray a) {
    return a.dup('c').data().asFloat();
  }

  @Test
  void serializedBytesIsTheExactLengthOfSave() throws Exception {
    java.util.Random r = new java.util.Random(5);
    for (int trial = 0; trial < 20; trial++) {
      int b = 1 + r.nextInt(40);
      List<EncodedPair> batch = new java.util.ArrayList<>();
      for (int i = 0; i < b; i++) {
        batch.add(new EncodedPair(i, new int[r.nextInt(1, 90)], new int[r.nextInt(1, 90)]));
      }
      int s = batch.stream().mapToInt(EncodedPair::sourceLength).max().getAsInt();
      int t = batch.stream().mapToInt(EncodedPair::targetLength).max().getAsInt();
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      BatchBuilder.build(batch).save(out);
      assertEquals(out.size(), BatchBuilder.serializedBytes(b, s, t), b + "x" + s + "x" + t);
    }
  }
}
