package org.sparknmt.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.Field;
import java.util.Map;
import java.util.TreeMap;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.BaseDataBuffer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.Deallocatable;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.memory.deallocation.DeallocatorService;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.MultiDataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.sparknmt.model.layers.TensorOps;

/**
 * Issue 10: a steady-state training step (fixed batch shape, after warm-up) makes no fresh off-heap
 * allocation in our vertices and loss; what DL4J itself still allocates is logged.
 *
 * <p>Fresh buffers are counted where ND4J registers every newly allocated, non-workspace data
 * buffer for deallocation ({@link DeallocatorService#pickObject}); views of existing buffers are
 * not allocations and are skipped. Arrays in a workspace are not registered there; growth of the
 * step workspaces (which is what a spill beyond their capacity causes) is checked separately.
 */
class TrainingStepMemoryTest {
  private static final Logger LOG = LoggerFactory.getLogger(TrainingStepMemoryTest.class);

  /**
   * Counts fresh allocations, attributed to our innermost frame or to DL4J's outermost one. ND4J
   * also allocates small descriptors for every op it runs (shape information and dimension lists as
   * LONG buffers, scalar arguments of length 1); those are counted apart as "op metadata".
   */
  private static final class CountingDeallocatorService extends DeallocatorService {
    final Map<String, Integer> ours = new TreeMap<>();
    final Map<String, Integer> theirs = new TreeMap<>();
    int ourOpMetadata;
    int theirOpMetadata;

    @Override
    public void pickObject(Deallocatable d) {
      if (d instanceof BaseDataBuffer b && b.originalDataBuffer() == null && !b.isAttached()) {
        String where = null;
        String outermostDl4j = null;
        for (StackTraceElement e : new Throwable().getStackTrace()) {
          String c = e.getClassName();
          if (c.startsWith("org.sparknmt.model") && !c.contains("Test")) {
            where = c.replaceAll(".*\\.", "") + "." + e.getMethodName();
            break;
          }
          if (c.startsWith("org.deeplearning4j")) {
            outermostDl4j = c.replaceAll(".*\\.", "") + "." + e.getMethodName();
          }
        }
        boolean metadata = b.dataType() == DataType.INT64 || b.length() <= 1;
        if (where != null && metadata) {
          ourOpMetadata++;
        } else if (where != null) {
          ours.merge(where + ":" + b.dataType() + "[" + b.length() + "]", 1, Integer::sum);
        } else if (metadata) {
          theirOpMetadata++;
        } else {
          theirs.merge(
              outermostDl4j + ":" + b.dataType() + "[" + b.length() + "]", 1, Integer::sum);
        }
      }
      super.pickObject(d);
    }
  }

  private static void setDeallocatorService(DeallocatorService s) throws Exception {
    Field f = Nd4j.class.getDeclaredField("deallocatorService");
    f.setAccessible(true);
    f.set(null, s);
  }

  private static Map<String, Long> stepWorkspaceSizes() {
    Map<String, Long> sizes = new TreeMap<>();
    for (MemoryWorkspace ws : Nd4j.getWorkspaceManager().getAllWorkspacesForCurrentThread()) {
      if (ws.getId().startsWith("sparknmt-step-")) {
        sizes.put(ws.getId(), ws.getCurrentSize());
      }
    }
    return sizes;
  }

  @Test
  void steadyStateTrainingStepAllocatesNothingInOurVerticesAndLoss() throws Exception {
    for (boolean preNorm : new boolean[] {false, true}) {
      ModelConfig cfg =
          new ModelConfig.Builder()
              .vocabSize(50)
              .dModel(32)
              .heads(4)
              .layers(2)
              .dFF(64)
              .dropout(0.1)
              .preNorm(preNorm)
              .build();
      ComputationGraph g = TransformerFactory.build(cfg);
      MultiDataSet batch =
          Batches.random(7, 50, new int[] {9, 6, 9, 4}, new int[] {8, 8, 5, 3}, DataType.FLOAT);
      for (int i = 0; i < 3; i++) {
        g.fit(batch);
      }
      Map<String, Long> before = stepWorkspaceSizes();
      DeallocatorService original = Nd4j.getDeallocatorService();
      CountingDeallocatorService counting = new CountingDeallocatorService();
      setDeallocatorService(counting);
      try {
        for (int i = 0; i < 3; i++) {
          g.fit(batch);
        }
      } finally {
        setDeallocatorService(original);
      }
      LOG.info(
          "preNorm={}: fresh buffers in 3 steady-state steps: tensor data ours {}, DL4J's {};"
              + " op metadata ours {}, DL4J's {}",
          preNorm,
          counting.ours,
          counting.theirs,
          counting.ourOpMetadata,
          counting.theirOpMetadata);
      assertTrue(counting.ours.isEmpty(), "fresh buffers in our code: " + counting.ours);
      assertEquals(before, stepWorkspaceSizes(), "step workspaces grew (spilled) in steady state");
      // every vertex with a forward pass and the output layer own one: embeddings 2, encoder
      // 2·N, decoder 3·N, output 1 (+ the final norms in pre-norm)
      int expected = 2 + 2 * 2 + 3 * 2 + 1 + (preNorm ? 2 : 0);
      assertEquals(expected, before.size(), before.keySet().toString());
      assertTrue(Double.isFinite(g.score()));
    }
  }

  @Test
  void sumRowsWritesIntoAViewAndAccumulates() {
    INDArray x = Nd4j.create(new float[] {1, 2, 3, 4, 5, 6}, new long[] {2, 3}, 'c');
    INDArray flat = Nd4j.zeros(DataType.FLOAT, 8);
    INDArray view = flat.get(org.nd4j.linalg.indexing.NDArrayIndex.interval(2, 5));
    TensorOps.sumRows(x, view, false);
    TensorOps.sumRows(x, view, true);
    assertEquals(Nd4j.create(new float[] {0, 0, 10, 14, 18, 0, 0, 0}, new long[] {8}, 'c'), flat);
  }
}
