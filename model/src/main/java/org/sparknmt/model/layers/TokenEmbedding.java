package org.sparknmt.model.layers;

import java.util.Arrays;
import java.util.List;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * Token embedding × √d_model plus sinusoidal positional encoding, then dropout (§3.4, §3.5, §5.4).
 * Input: token ids [B, L] (floating point holding integers); output [B, L, d_model].
 *
 * <p>With {@link #getSharedWith()} set, the vertex has no parameters of its own and uses the
 * embedding matrix E [V, d_model] of that {@link SequenceLossLayer}: source embedding, target
 * embedding and pre-softmax projection then share one matrix (§3.4). Its gradient is added to the
 * owner's gradient, which the owner has already written (the owner is downstream, so DL4J runs its
 * backward first).
 */
public class TokenEmbedding extends TransformerVertex {
  private static final long serialVersionUID = 1L;

  private int vocabSize;
  private double dropout;
  private String sharedWith;

  /** For JSON. */
  public TokenEmbedding() {}

  /**
   * @param sharedWith name of the {@link SequenceLossLayer} whose matrix is used, or null to own a
   *     matrix
   */
  public TokenEmbedding(int vocabSize, int dModel, double dropout, String sharedWith) {
    super(dModel);
    this.vocabSize = vocabSize;
    this.dropout = dropout;
    this.sharedWith = sharedWith;
  }

  @Override
  public List<ParamSpec> paramSpecs() {
    return sharedWith == null
        ? List.of(new ParamSpec("E", new long[] {vocabSize, getDModel()}, Init.EMBEDDING))
        : List.of();
  }

  @Override
  protected List<Object> key() {
    return Arrays.asList(vocabSize, dropout, sharedWith);
  }

  @Override
  protected TransformerVertexImpl newRuntime(
      ComputationGraph graph, String name, int idx, DataType dataType) {
    return new TokenEmbeddingImpl(this, graph, name, idx, dataType);
  }

  @Override
  protected TransformerVertex copy() {
    return new TokenEmbedding(vocabSize, getDModel(), dropout, sharedWith);
  }

  public int getVocabSize() {
    return vocabSize;
  }

  public void setVocabSize(int vocabSize) {
    this.vocabSize = vocabSize;
  }

  public double getDropout() {
    return dropout;
  }

  public void setDropout(double dropout) {
    this.dropout = dropout;
  }

  public String getSharedWith() {
    return sharedWith;
  }

  public void setSharedWith(String sharedWith) {
    this.sharedWith = sharedWith;
  }
}
