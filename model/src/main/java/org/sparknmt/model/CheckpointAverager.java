package org.sparknmt.model;

import java.io.File;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.deeplearning4j.nn.conf.graph.GraphVertex;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.util.ModelSerializer;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.sparknmt.model.layers.TransformerVertex;

/**
 * Checkpoint averaging (Vaswani et al. 2017, §6.1: "averaging the last 5 checkpoints"): the
 * element-wise mean of the parameters of N graphs with the same configuration. The result carries
 * the configuration and updater state of the last checkpoint.
 */
public final class CheckpointAverager {
  private static final Logger LOG = LoggerFactory.getLogger(CheckpointAverager.class);

  private CheckpointAverager() {}

  /**
   * A new graph whose parameters are the mean of the given graphs' parameters.
   *
   * @throws IllegalArgumentException if the list is empty or the configurations differ
   */
  public static ComputationGraph average(List<ComputationGraph> graphs) {
    if (graphs.isEmpty()) {
      throw new IllegalArgumentException("no checkpoints to average");
    }
    ComputationGraph last = graphs.get(graphs.size() - 1);
    INDArray sum = last.params().dup();
    for (int i = 0; i < graphs.size() - 1; i++) {
      ComputationGraph g = graphs.get(i);
      // same Transformer vertices and shapes (seed and iteration counts may differ)
      if (!transformerVertices(g).equals(transformerVertices(last))
          || g.params().length() != sum.length()) {
        throw new IllegalArgumentException(
            "checkpoint " + i + " has a different model architecture than the last one");
      }
      sum.addi(g.params());
    }
    ComputationGraph out = last.clone();
    out.setParams(sum.divi(graphs.size()));
    return out;
  }

  private static Map<String, GraphVertex> transformerVertices(ComputationGraph g) {
    Map<String, GraphVertex> out = new TreeMap<>();
    g.getConfiguration()
        .getVertices()
        .forEach(
            (name, v) -> {
              if (v instanceof TransformerVertex) {
                out.put(name, v);
              }
            });
    return out;
  }

  /**
   * Loads the checkpoints (ModelSerializer zips, e.g. the last N in training order), averages them
   * and writes the result (with the last checkpoint's updater state) to {@code output}.
   */
  public static void averageFiles(List<File> checkpoints, File output) throws IOException {
    List<ComputationGraph> graphs = new ArrayList<>();
    for (File f : checkpoints) {
      graphs.add(ModelSerializer.restoreComputationGraph(f, true));
    }
    ModelSerializer.writeModel(average(graphs), output, true);
    LOG.info("averaged {} checkpoints into {}", checkpoints.size(), output);
  }
}
