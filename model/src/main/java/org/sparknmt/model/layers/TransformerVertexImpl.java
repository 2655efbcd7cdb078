package org.sparknmt.model.layers;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.api.MaskState;
import org.deeplearning4j.nn.api.TrainingConfig;
import org.deeplearning4j.nn.conf.GradientNormalization;
import org.deeplearning4j.nn.gradient.DefaultGradient;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.graph.vertex.BaseGraphVertex;
import org.deeplearning4j.nn.workspace.ArrayType;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.learning.regularization.Regularization;

/**
 * Runtime base of the Transformer vertices: parameter/gradient views into the graph's flattened
 * arrays, mask bookkeeping and DL4J workspace handling. Subclasses implement {@link #forward} and
 * {@link #backward} on detached arrays.
 *
 * <p>Gradients are the exact gradients of the network score (the label-smoothed loss is already
 * averaged over target tokens), so the updater must not divide them by the minibatch size: {@link
 * #updaterDivideByMinibatch} is false.
 */
@SuppressWarnings("overrides") // DL4J: BaseGraphVertex.setInputs(INDArray[]) vs
// GraphVertex.setInputs(INDArray...)
public abstract class TransformerVertexImpl extends BaseGraphVertex {
  private static final long serialVersionUID = 1L;

  protected final TransformerVertex conf;
  protected final Map<String, INDArray> params = new LinkedHashMap<>();
  protected final Map<String, INDArray> grads = new LinkedHashMap<>();
  private INDArray paramsFlat;
  private INDArray gradsFlat;
  private INDArray[] maskArrays;
  private final TrainingConfig trainingConfig;
  private transient StepArena arena;

  protected TransformerVertexImpl(
      TransformerVertex conf, ComputationGraph graph, String name, int idx, DataType dataType) {
    super(graph, name, idx, null, null, dataType);
    this.conf = conf;
    this.trainingConfig = new VertexTrainingConfig(name, conf);
  }

  void attachParams(INDArray view, boolean initialize) {
    paramsFlat = view;
    split(view, params);
    if (initialize) {
      for (TransformerVertex.ParamSpec s : conf.paramSpecs()) {
        initialise(params.get(s.name()), s);
      }
    }
  }

  private void split(INDArray flat, Map<String, INDArray> into) {
    into.clear();
    List<TransformerVertex.ParamSpec> specs = conf.paramSpecs();
    if (specs.isEmpty()) {
      return;
    }
    INDArray v = flat.reshape(flat.length());
    long off = 0;
    for (TransformerVertex.ParamSpec s : specs) {
      long n = s.length();
      into.put(s.name(), v.get(NDArrayIndex.interval(off, off + n)).reshape('c', s.shape()));
      off += n;
    }
  }

  private static void initialise(INDArray p, TransformerVertex.ParamSpec s) {
    switch (s.init()) {
      case ZERO -> p.assign(0);
      case ONE -> p.assign(1);
      case XAVIER -> {
        double a = Math.sqrt(6.0 / (s.shape()[0] + s.shape()[1]));
        p.assign(Nd4j.rand(p.dataType(), s.shape()).muli(2 * a).subi(a));
      }
      case XAVIER_QKV -> {
        double a = Math.sqrt(6.0 / (s.shape()[0] + 3 * s.shape()[1]));
        p.assign(Nd4j.rand(p.dataType(), s.shape()).muli(2 * a).subi(a));
      }
      case EMBEDDING ->
          p.assign(Nd4j.randn(p.dataType(), s.shape()).muli(Math.pow(s.shape()[1], -0.5)));
      default -> throw new IllegalStateException("unknown init " + s.init());
    }
  }

  /** Forward on detached arrays; masks[i] is input i's [B, L] mask or null. */
  protected abstract INDArray forward(INDArray[] in, INDArray[] masks, boolean training);

  /**
   * Backward of the last training forward: fill {@link #grads}, return dL/d(input i) (null for
   * integer-id inputs).
   */
  protected abstract INDArray[] backward(INDArray dOut);

  /**
   * Inference forward pass outside the graph (decoding): no dropout, nothing cached.
   *
   * @param masks [B, L] mask per input (entries may be null)
   */
  public INDArray infer(INDArray[] in, INDArray[] masks) {
    return forward(in, masks == null ? new INDArray[in.length] : masks, false);
  }

  /** Drops what forward cached for backward. */
  protected abstract void clearCache();

  /** The output mask given the input masks (default: the first input's mask). */
  protected INDArray outputMask(INDArray[] masks) {
    return masks == null ? null : masks[0];
  }

  /**
   * Masks of the current forward pass: DL4J leaves stale masks on vertices after a call without
   * masks, so masks count only while the graph has input masks set.
   */
  protected INDArray[] currentMasks() {
    INDArray[] m = graph == null || graph.getInputMaskArrays() == null ? null : maskArrays;
    return m == null ? new INDArray[getNumInputArrays()] : m;
  }

  /** This vertex's training-step memory (created on first use: DL4J deserialises vertices). */
  private StepArena arena() {
    if (arena == null) {
      arena = new StepArena(vertexName);
    }
    return arena;
  }

  /**
   * Training: the forward pass allocates in this vertex's {@link StepArena}, where its caches and
   * its output stay valid until DL4J clears the vertex after backprop; DL4J is told not to copy
   * arrays out of it. Inference: ordinary allocations, nothing kept.
   */
  @Override
  @SuppressWarnings("try") // the workspace scope is used for its side effect only
  public INDArray doForward(boolean training, LayerWorkspaceMgr workspaceMgr) {
    INDArray out;
    if (training) {
      try (StepArena.Scope s = arena().beginStep()) {
        out = forward(inputs, currentMasks(), true);
      }
      workspaceMgr.setNoLeverageOverride(arena.id());
      return out;
    }
    try (MemoryWorkspace ws = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
      out = forward(inputs, currentMasks(), false);
    }
    return workspaceMgr.leverageTo(ArrayType.ACTIVATIONS, out);
  }

  @Override
  @SuppressWarnings("try")
  public Pair<Gradient, INDArray[]> doBackward(boolean tbptt, LayerWorkspaceMgr workspaceMgr) {
    INDArray[] eps;
    try (StepArena.Scope s = arena().resume()) {
      eps = backward(epsilon);
    }
    workspaceMgr.setNoLeverageOverride(arena.id());
    Gradient g = new DefaultGradient();
    for (Map.Entry<String, INDArray> e : grads.entrySet()) {
      g.gradientForVariable().put(e.getKey(), e.getValue());
    }
    return new Pair<>(g, eps);
  }

  @Override
  public Pair<INDArray, MaskState> feedForwardMaskArrays(
      INDArray[] maskArrays, MaskState currentMaskState, int minibatchSize) {
    this.maskArrays = maskArrays;
    return new Pair<>(outputMask(maskArrays), currentMaskState);
  }

  @Override
  public void setBackpropGradientsViewArray(INDArray view) {
    gradsFlat = view;
    split(view, grads);
  }

  @Override
  public void clear() {
    super.clear();
    clearCache();
    if (arena != null) {
      arena.endStep(); // after backprop: the step's arrays are dead, its memory is kept
    }
  }

  @Override
  public void clearVertex() {
    clear();
  }

  @Override
  public boolean hasLayer() {
    return false;
  }

  @Override
  public Layer getLayer() {
    return null;
  }

  @Override
  public void setLayerAsFrozen() {
    throw new UnsupportedOperationException("freezing Transformer vertices is not supported");
  }

  @Override
  public long numParams() {
    return conf.numParams(true);
  }

  @Override
  public INDArray params() {
    return paramsFlat;
  }

  @Override
  public Map<String, INDArray> paramTable(boolean backpropOnly) {
    return Collections.unmodifiableMap(params);
  }

  /** A parameter by name (a view into the graph's parameters). */
  public INDArray param(String name) {
    return params.get(name);
  }

  /** Parameter views of this vertex, for inference code that reuses the kernels. */
  public Map<String, INDArray> weights() {
    return Collections.unmodifiableMap(params);
  }

  /** The gradient view of a parameter (shared-weight users add into it). */
  public INDArray gradientView(String name) {
    return grads.get(name);
  }

  @Override
  public INDArray getGradientsViewArray() {
    return gradsFlat;
  }

  @Override
  public boolean updaterDivideByMinibatch(String paramName) {
    return false;
  }

  @Override
  public TrainingConfig getConfig() {
    return trainingConfig;
  }

  @Override
  public String toString() {
    return getClass().getSimpleName() + "(" + vertexName + ")";
  }

  /** DL4J's per-vertex training configuration: name, updater and gradient normalisation. */
  private static final class VertexTrainingConfig implements TrainingConfig, java.io.Serializable {
    private static final long serialVersionUID = 1L;
    private final String name;
    private final TransformerVertex conf;

    VertexTrainingConfig(String name, TransformerVertex conf) {
      this.name = name;
      this.conf = conf;
    }

    @Override
    public String getLayerName() {
      return name;
    }

    @Override
    public List<Regularization> getRegularizationByParam(String paramName) {
      return Collections.emptyList();
    }

    @Override
    public boolean isPretrainParam(String paramName) {
      return false;
    }

    @Override
    public IUpdater getUpdaterByParam(String paramName) {
      return conf.getUpdater();
    }

    @Override
    public GradientNormalization getGradientNormalization() {
      return conf.getGradientNormalization();
    }

    @Override
    public double getGradientNormalizationThreshold() {
      return conf.getGradientNormalizationThreshold();
    }

    @Override
    public void setDataType(DataType dataType) {}
  }
}
