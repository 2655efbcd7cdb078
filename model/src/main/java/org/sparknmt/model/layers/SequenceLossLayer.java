package org.sparknmt.model.layers;

import java.util.Collection;
import java.util.List;
import java.util.Map;
import org.deeplearning4j.nn.api.ParamInitializer;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.deeplearning4j.nn.conf.layers.LossLayer;
import org.deeplearning4j.optimize.api.TrainingListener;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.sparknmt.model.LabelSmoothedCrossEntropy;

/**
 * Output layer of the Transformer: the pre-softmax linear transformation logits = x·Eᵀ (§3.4, no
 * bias), the softmax over the vocabulary and, in training, the label-smoothed cross-entropy
 * averaged over real (unmasked) target tokens.
 *
 * <p>It owns the matrix E [V, d_model] ("E"); with tied embeddings the {@link TokenEmbedding}
 * vertices use it too (§3.4). Owning a parameter in a <em>layer</em> matters: DL4J 1.0.0-M2.1's
 * {@code ComputationGraph.numParams()} counts layer parameters only and {@code fit} silently does
 * nothing when that count is 0.
 *
 * <p>Input: decoder output [B, T, d_model]. Labels: decoder output ids [B, 1, T] as floating point
 * indices (not one-hot); labels mask [B, T]. Output ({@code ComputationGraph.output}):
 * probabilities [B, T, V].
 */
public class SequenceLossLayer extends LossLayer {
  private static final long serialVersionUID = 1L;

  /** For JSON. */
  public SequenceLossLayer() {}

  /** The layer for d_model → V with label smoothing ε. */
  public static SequenceLossLayer of(int dModel, int vocabSize, double labelSmoothing) {
    SequenceLossLayer l = new SequenceLossLayer();
    l.setNIn(dModel);
    l.setNOut(vocabSize);
    l.setLossFn(new LabelSmoothedCrossEntropy(labelSmoothing));
    l.setActivationFn(Activation.SOFTMAX.getActivationFunction());
    return l;
  }

  @Override
  public org.deeplearning4j.nn.api.Layer instantiate(
      NeuralNetConfiguration conf,
      Collection<TrainingListener> trainingListeners,
      int layerIndex,
      INDArray layerParamsView,
      boolean initializeParams,
      DataType networkDataType) {
    SequenceLossLayerImpl ret = new SequenceLossLayerImpl(conf, networkDataType);
    ret.setListeners(trainingListeners);
    ret.setIndex(layerIndex);
    ret.setParamsViewArray(layerParamsView);
    ret.setParamTable(initializer().init(conf, layerParamsView, initializeParams));
    ret.setConf(conf);
    return ret;
  }

  @Override
  public ParamInitializer initializer() {
    return EmbeddingMatrixInitializer.INSTANCE;
  }

  @Override
  public boolean isPretrainParam(String paramName) {
    return false;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof SequenceLossLayer && super.equals(o);
  }

  @Override
  public int hashCode() {
    return super.hashCode();
  }

  /** One parameter "E" [nOut = V, nIn = d_model], N(0, d_model^-0.5). */
  static final class EmbeddingMatrixInitializer implements ParamInitializer {
    static final EmbeddingMatrixInitializer INSTANCE = new EmbeddingMatrixInitializer();

    @Override
    public long numParams(NeuralNetConfiguration conf) {
      return numParams(conf.getLayer());
    }

    @Override
    public long numParams(Layer layer) {
      SequenceLossLayer l = (SequenceLossLayer) layer;
      return l.getNIn() * l.getNOut();
    }

    @Override
    public List<String> paramKeys(Layer layer) {
      return List.of("E");
    }

    @Override
    public List<String> weightKeys(Layer layer) {
      return List.of("E");
    }

    @Override
    public List<String> biasKeys(Layer layer) {
      return List.of();
    }

    @Override
    public boolean isWeightParam(Layer layer, String key) {
      return "E".equals(key);
    }

    @Override
    public boolean isBiasParam(Layer layer, String key) {
      return false;
    }

    private static INDArray matrix(NeuralNetConfiguration conf, INDArray view) {
      SequenceLossLayer l = (SequenceLossLayer) conf.getLayer();
      return view.reshape('c', l.getNOut(), l.getNIn());
    }

    @Override
    public Map<String, INDArray> init(
        NeuralNetConfiguration conf, INDArray paramsView, boolean initializeParams) {
      INDArray e = matrix(conf, paramsView);
      if (initializeParams) {
        e.assign(Nd4j.randn(e.dataType(), e.shape()).muli(Math.pow(e.size(1), -0.5)));
      }
      return new java.util.LinkedHashMap<>(Map.of("E", e));
    }

    @Override
    public Map<String, INDArray> getGradientsFromFlattened(
        NeuralNetConfiguration conf, INDArray gradientView) {
      return new java.util.LinkedHashMap<>(Map.of("E", matrix(conf, gradientView)));
    }
  }
}
