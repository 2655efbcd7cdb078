package org.sparknmt.model.layers;

import java.util.List;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * Pre-softmax linear transformation (§3.4): logits = x·Eᵀ for x [B, T, d_model], E [V, d_model];
 * output [B, T, V]. Owns E, which {@link TokenEmbedding} vertices may share (no bias, so sharing is
 * exact).
 */
public class OutputProjection extends TransformerVertex {
  private static final long serialVersionUID = 1L;

  private int vocabSize;

  /** For JSON. */
  public OutputProjection() {}

  public OutputProjection(int dModel, int vocabSize) {
    super(dModel);
    this.vocabSize = vocabSize;
  }

  @Override
  public List<ParamSpec> paramSpecs() {
    return List.of(new ParamSpec("E", new long[] {vocabSize, getDModel()}, Init.EMBEDDING));
  }

  @Override
  protected List<Object> key() {
    return List.of(vocabSize);
  }

  @Override
  public InputType getOutputType(int layerIndex, InputType... vertexInputs) {
    return InputType.recurrent(vocabSize);
  }

  @Override
  protected TransformerVertexImpl newRuntime(
      ComputationGraph graph, String name, int idx, DataType dataType) {
    return new OutputProjectionImpl(this, graph, name, idx, dataType);
  }

  @Override
  protected TransformerVertex copy() {
    return new OutputProjection(getDModel(), vocabSize);
  }

  public int getVocabSize() {
    return vocabSize;
  }

  public void setVocabSize(int vocabSize) {
    this.vocabSize = vocabSize;
  }
}
