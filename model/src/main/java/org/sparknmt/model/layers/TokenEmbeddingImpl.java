package org.sparknmt.model.layers;

import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.scatter.ScatterUpdate;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/** Runtime of {@link TokenEmbedding}. */
@SuppressWarnings("overrides") // DL4J: BaseGraphVertex.setInputs(INDArray[]) vs
// GraphVertex.setInputs(INDArray...)
public class TokenEmbeddingImpl extends TransformerVertexImpl {
  private static final long serialVersionUID = 1L;

  private final TokenEmbedding cfg;
  private transient INDArray peTable;
  private transient int[] ids;
  private transient INDArray dropMask;
  private transient long b;
  private transient long l;

  TokenEmbeddingImpl(
      TokenEmbedding cfg, ComputationGraph graph, String name, int idx, DataType dataType) {
    super(cfg, graph, name, idx, dataType);
    this.cfg = cfg;
  }

  /** The embedding matrix E [V, d_model] (own or shared). */
  public INDArray table() {
    return cfg.getSharedWith() == null ? param("E") : owner().embeddingMatrix();
  }

  private INDArray tableGradient() {
    return cfg.getSharedWith() == null ? grads.get("E") : owner().embeddingGradient();
  }

  private SequenceLossLayerImpl owner() {
    return (SequenceLossLayerImpl) graph.getLayer(cfg.getSharedWith());
  }

  /** Positional encodings for positions [from, from + length), [length, d_model]. */
  @SuppressWarnings("try") // the workspace scope is used for its side effect only
  private INDArray positions(long from, long length) {
    long need = from + length;
    if (peTable == null || peTable.size(0) < need || peTable.dataType() != dataType) {
      int size = (int) Math.max(need, 256);
      // kept across steps: never in the step arena
      try (MemoryWorkspace ws = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
        peTable = TensorOps.positionalEncoding(size, cfg.getDModel(), dataType);
      }
    }
    return peTable.get(NDArrayIndex.interval(from, need), NDArrayIndex.all());
  }

  /** Converts [B, L] id array to int ids, checking the vocabulary range. */
  static int[] toIds(INDArray idArray, int vocabSize) {
    int[] out = idArray.dup('c').reshape(idArray.length()).toIntVector();
    for (int id : out) {
      if (id < 0 || id >= vocabSize) {
        throw new IllegalArgumentException(
            "token id " + id + " is outside the vocabulary [0, " + vocabSize + ")");
      }
    }
    return out;
  }

  /**
   * E[ids]·√d_model + PE for ids of B sequences of length L starting at position {@code from}; no
   * dropout. Returns [B, L, d_model].
   */
  public INDArray embed(int[] tokenIds, long batch, long length, long from) {
    int d = cfg.getDModel();
    INDArray rows = Nd4j.pullRows(table(), 1, tokenIds).muli(Math.sqrt(d)); // [B·L, d]
    INDArray x = rows.reshape('c', batch, length, d);
    x.addi(positions(from, length).reshape(1, length, d));
    return x;
  }

  @Override
  protected INDArray forward(INDArray[] in, INDArray[] masks, boolean training) {
    INDArray idArray = in[0];
    if (idArray.rank() != 2) {
      throw new IllegalArgumentException(
          "vertex "
              + vertexName
              + " expects token ids [B, L], got shape "
              + idArray.shapeInfoToString());
    }
    b = idArray.size(0);
    l = idArray.size(1);
    int[] tokenIds = toIds(idArray, cfg.getVocabSize());
    INDArray x = embed(tokenIds, b, l, 0);
    if (training) {
      ids = tokenIds;
      dropMask = TensorOps.dropoutMask(dataType, cfg.getDropout(), b, l, cfg.getDModel());
      return TensorOps.applyMask(x, dropMask);
    }
    return x;
  }

  @Override
  @SuppressWarnings("deprecation") // Nd4j.scatterUpdate: the in-place scatter-add that DL4J uses
  protected INDArray[] backward(INDArray dOut) {
    int d = cfg.getDModel();
    INDArray delta = TensorOps.applyMask(dOut, dropMask).mul(Math.sqrt(d)).reshape('c', b * l, d);
    INDArray g = tableGradient();
    if (cfg.getSharedWith() == null) {
      g.assign(0); // own matrix: nobody else writes this gradient
    }
    // g[ids[i]] += delta[i] in place (the ScatterAdd op constructor writes to a new array instead)
    Nd4j.scatterUpdate(ScatterUpdate.UpdateOp.ADD, g, Nd4j.createFromArray(ids), delta, 1);
    return new INDArray[] {null};
  }

  @Override
  protected void clearCache() {
    ids = null;
    dropMask = null;
  }
}
