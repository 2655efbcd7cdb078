package org.sparknmt.model.layers;

import java.util.List;
import java.util.Objects;
import org.deeplearning4j.nn.conf.GradientNormalization;
import org.deeplearning4j.nn.conf.graph.GraphVertex;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.memory.LayerMemoryReport;
import org.deeplearning4j.nn.conf.memory.MemoryReport;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.learning.config.NoOp;

/**
 * Configuration base of the Transformer's custom graph vertices. A vertex declares its parameters
 * ({@link #paramSpecs()}), owns its updater (DL4J applies the global updater to layers only, not to
 * vertices) and is serialised to the graph's JSON through its getters/setters.
 *
 * <p>Activations between vertices are [B, L, d_model] ('c' order, B = batch, L = sequence length);
 * masks are DL4J feature masks [B, L] (1 = real token, 0 = padding).
 */
public abstract class TransformerVertex extends GraphVertex {
  private static final long serialVersionUID = 1L;

  /** Parameter initialisation schemes. */
  public enum Init {
    /** Glorot/Xavier uniform over (fan_in + fan_out), like PyTorch's nn.Transformer. */
    XAVIER,
    /**
     * Glorot/Xavier uniform of a [d, d] block of the fused [3·d, d] query/key/value projection:
     * bound √(6 / 4d) instead of √(6 / 2d), as PyTorch's nn.MultiheadAttention (one in_proj_weight)
     * and fairseq (gain 1/√2) initialise W_q, W_k, W_v.
     */
    XAVIER_QKV,
    /** N(0, d_model^-0.5): embeddings that are multiplied by √d_model (§3.4). */
    EMBEDDING,
    ZERO,
    ONE
  }

  /** One parameter: name (no '_', DL4J's separator), shape and initialisation. */
  public record ParamSpec(String name, long[] shape, Init init) {
    long length() {
      long n = 1;
      for (long s : shape) {
        n *= s;
      }
      return n;
    }
  }

  private int dModel;
  private IUpdater updater = new NoOp();
  private GradientNormalization gradientNormalization = GradientNormalization.None;
  private double gradientNormalizationThreshold = 1.0;

  protected TransformerVertex() {}

  protected TransformerVertex(int dModel) {
    this.dModel = dModel;
  }

  /** The parameters in flattening order. */
  public abstract List<ParamSpec> paramSpecs();

  /** Fields of the subclass that take part in equals/hashCode. */
  protected abstract List<Object> key();

  /** A new runtime vertex (parameters are attached by {@link #instantiate}). */
  protected abstract TransformerVertexImpl newRuntime(
      ComputationGraph graph, String name, int idx, DataType dataType);

  /** A copy with the same field values. */
  protected abstract TransformerVertex copy();

  @Override
  public TransformerVertex clone() {
    TransformerVertex c = copy();
    c.dModel = dModel;
    c.updater = updater == null ? null : updater.clone();
    c.gradientNormalization = gradientNormalization;
    c.gradientNormalizationThreshold = gradientNormalizationThreshold;
    return c;
  }

  @Override
  public long numParams(boolean backprop) {
    return paramSpecs().stream().mapToLong(ParamSpec::length).sum();
  }

  @Override
  public int minVertexInputs() {
    return 1;
  }

  @Override
  public int maxVertexInputs() {
    return 1;
  }

  @Override
  public org.deeplearning4j.nn.graph.vertex.GraphVertex instantiate(
      ComputationGraph graph,
      String name,
      int idx,
      INDArray paramsView,
      boolean initializeParams,
      DataType networkDatatype) {
    TransformerVertexImpl v = newRuntime(graph, name, idx, networkDatatype);
    v.attachParams(paramsView, initializeParams);
    return v;
  }

  @Override
  public InputType getOutputType(int layerIndex, InputType... vertexInputs) {
    return InputType.recurrent(dModel);
  }

  @Override
  public MemoryReport getMemoryReport(InputType... inputTypes) {
    InputType out = getOutputType(-1, inputTypes);
    return new LayerMemoryReport.Builder(null, getClass(), inputTypes[0], out)
        .standardMemory(numParams(true), 0)
        .workingMemory(0, 0, 0, 0)
        .cacheMemory(0, 0)
        .build();
  }

  public int getDModel() {
    return dModel;
  }

  public void setDModel(int dModel) {
    this.dModel = dModel;
  }

  public IUpdater getUpdater() {
    return updater;
  }

  public void setUpdater(IUpdater updater) {
    this.updater = updater;
  }

  public GradientNormalization getGradientNormalization() {
    return gradientNormalization;
  }

  public void setGradientNormalization(GradientNormalization gradientNormalization) {
    this.gradientNormalization = gradientNormalization;
  }

  public double getGradientNormalizationThreshold() {
    return gradientNormalizationThreshold;
  }

  public void setGradientNormalizationThreshold(double threshold) {
    this.gradientNormalizationThreshold = threshold;
  }

  @Override
  public boolean equals(Object o) {
    if (o == null || o.getClass() != getClass()) {
      return false;
    }
    TransformerVertex t = (TransformerVertex) o;
    return dModel == t.dModel
        && Objects.equals(updater, t.updater)
        && gradientNormalization == t.gradientNormalization
        && Double.compare(gradientNormalizationThreshold, t.gradientNormalizationThreshold) == 0
        && key().equals(t.key());
  }

  @Override
  public int hashCode() {
    return Objects.hash(getClass(), dModel, updater, gradientNormalization, key());
  }

  @Override
  public String toString() {
    return getClass().getSimpleName() + "(dModel=" + dModel + ", " + key() + ")";
  }
}
