package org.sparknmt.jobs;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.spark.impl.graph.SparkComputationGraph;
import org.deeplearning4j.spark.impl.paramavg.ParameterAveragingTrainingMaster;
import org.deeplearning4j.util.ModelSerializer;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.api.MultiDataSet;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.lossfunctions.LossFunctions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.sparknmt.jobs.config.ConfigOptions;
import org.sparknmt.jobs.config.Settings;
import org.sparknmt.jobs.proof.ProofData;
import org.sparknmt.jobs.proof.TanhDense;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * The platform proof: everything distributed training needs, end to end on a real cluster, with a
 * network small enough to train in seconds. It writes MultiDataSets to {@code --work}, trains a
 * {@link ComputationGraph} with a custom SameDiff layer ({@link TanhDense}) through {@link
 * SparkComputationGraph#fitPathsMultiDataSet} and {@link ParameterAveragingTrainingMaster} (Adam
 * state averaged too), writes the model with its updater to {@code --work}, reads it back and
 * writes {@code result.json} there: the test score before and after, how far the parameters moved,
 * and whether the reloaded model is identical. Exits 1 if the score did not go down, the parameters
 * did not change or the reloaded model differs.
 */
@Command(
    name = "platform-proof",
    mixinStandardHelpOptions = true,
    description = "Train a tiny DL4J graph with a SameDiff layer on Spark from/to a Hadoop URI.")
public final class PlatformProofJob implements Callable<Integer> {
  private static final Logger LOG = LoggerFactory.getLogger(PlatformProofJob.class);

  @Mixin ConfigOptions conf = new ConfigOptions();

  @Option(
      names = "--work",
      required = true,
      paramLabel = "URI",
      description = "Directory for data, model and result.json, e.g. hdfs:///proof (replaced)")
  String work;

  public static void main(String[] args) {
    Cli.main(new PlatformProofJob(), args);
  }

  /** The proof's sizes, from {@code sparknmt.proof} in reference.conf. */
  record Params(
      int epochs,
      int batches,
      int batchSize,
      int features,
      int hidden,
      int classes,
      double learningRate,
      int averagingFrequency,
      long seed) {
    static Params from(Settings s) {
      return new Params(
          s.integer("sparknmt.proof.epochs", 1, 1000),
          s.integer("sparknmt.proof.batches", 1, 100_000),
          s.integer("sparknmt.proof.batch-size", 1, 100_000),
          s.integer("sparknmt.proof.features", 1, 10_000),
          s.integer("sparknmt.proof.hidden", 1, 10_000),
          s.integer("sparknmt.proof.classes", 2, 10_000),
          s.real("sparknmt.proof.learning-rate", 1e-6, 10),
          s.integer("sparknmt.proof.averaging-frequency", 1, 1000),
          s.longValue("sparknmt.proof.seed", Long.MIN_VALUE, Long.MAX_VALUE));
    }
  }

  @Override
  public Integer call() throws IOException {
    Settings settings = Settings.load(conf);
    Params p = Params.from(settings);
    try (SparkSession spark = Sessions.create(settings, "platform-proof")) {
      JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
      FileSystem fs = FileSystem.get(URI.create(work), jsc.hadoopConfiguration());
      Path dir = fs.makeQualified(new Path(work));
      fs.delete(dir, true);
      if (!fs.mkdirs(dir)) {
        throw new UserError("cannot create --work directory " + dir);
      }
      Map<String, Object> result = run(jsc, fs, dir, p);
      Path resultFile = new Path(dir, "result.json");
      try (OutputStream out = fs.create(resultFile, true)) {
        new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(out, result);
      }
      LOG.info("platform proof result {}: {}", resultFile, result);
      List<String> failures = failures(result);
      if (!failures.isEmpty()) {
        throw new IllegalStateException("platform proof failed: " + String.join("; ", failures));
      }
    }
    return Cli.EXIT_OK;
  }

  private static Map<String, Object> run(JavaSparkContext jsc, FileSystem fs, Path dir, Params p)
      throws IOException {
    ProofData data = new ProofData(p.features(), p.classes(), p.seed());
    List<String> paths = new ArrayList<>();
    int i = 0;
    for (MultiDataSet mds : data.batches(p.batches(), p.batchSize())) {
      Path file = new Path(dir, String.format("data/batch-%05d.bin", i++));
      try (OutputStream out = fs.create(file, true)) {
        mds.save(out);
      }
      paths.add(file.toString());
    }
    MultiDataSet test = data.batch(4 * p.batchSize());

    ComputationGraph net = new ComputationGraph(graph(p));
    net.init();
    double scoreBefore = net.score(test);
    INDArray paramsBefore = net.params().dup();

    int workers = jsc.defaultParallelism();
    // Builder(numWorkers, examplesPerDataSet): the one-argument Builder hits dl4j-spark M2's
    // NullPointerException in fitPathsMultiDataSet (numWorkers unknown for graphs)
    ParameterAveragingTrainingMaster tm =
        new ParameterAveragingTrainingMaster.Builder(workers, p.batchSize())
            .batchSizePerWorker(p.batchSize())
            .averagingFrequency(p.averagingFrequency())
            .workerPrefetchNumBatches(0)
            .saveUpdater(true)
            .rngSeed(p.seed())
            .build();
    SparkComputationGraph sparkNet = new SparkComputationGraph(jsc, net, tm);
    JavaRDD<String> pathRdd = jsc.parallelize(paths, workers);
    List<Double> scores = new ArrayList<>();
    for (int epoch = 0; epoch < p.epochs(); epoch++) {
      sparkNet.fitPathsMultiDataSet(pathRdd);
      scores.add(sparkNet.getNetwork().score(test));
      LOG.info("epoch {}: test score {}", epoch + 1, scores.get(scores.size() - 1));
    }
    ComputationGraph trained = sparkNet.getNetwork();
    double scoreAfter = trained.score(test);
    double paramChange = trained.params().sub(paramsBefore).norm2Number().doubleValue();

    Path model = new Path(dir, "model.zip");
    try (OutputStream out = fs.create(model, true)) {
      ModelSerializer.writeModel(trained, out, true);
    }
    ComputationGraph restored;
    try (InputStream in = fs.open(model)) {
      restored = ModelSerializer.restoreComputationGraph(in, true);
    }
    INDArray[] features = test.getFeatures();
    double outputDiff =
        trained
            .outputSingle(features)
            .sub(restored.outputSingle(features))
            .amaxNumber()
            .doubleValue();

    Map<String, Object> r = new LinkedHashMap<>();
    r.put("master", jsc.master());
    r.put("executors", jsc.sc().statusTracker().getExecutorInfos().length - 1);
    r.put("workers", workers);
    r.put("layer", TanhDense.class.getName());
    r.put("numParams", trained.numParams());
    r.put("trainingFiles", paths.size());
    r.put("epochs", p.epochs());
    r.put("scoreBefore", scoreBefore);
    r.put("scoreAfter", scoreAfter);
    r.put("scorePerEpoch", scores);
    r.put("paramChangeL2", paramChange);
    r.put("model", model.toString());
    r.put("modelBytes", fs.getFileStatus(model).getLen());
    r.put("reloadedParamsEqual", trained.params().equals(restored.params()));
    r.put("reloadedUpdaterEqual", updaterState(trained).equals(updaterState(restored)));
    r.put("reloadedOutputMaxAbsDiff", outputDiff);
    return r;
  }

  static ComputationGraphConfiguration graph(Params p) {
    return new NeuralNetConfiguration.Builder()
        .seed(p.seed())
        .dataType(DataType.FLOAT)
        .updater(new Adam(p.learningRate()))
        .graphBuilder()
        .addInputs("in")
        .setInputTypes(InputType.feedForward(p.features()))
        .addLayer("hidden", new TanhDense(p.features(), p.hidden()), "in")
        .addLayer(
            "out",
            new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT)
                .nIn(p.hidden())
                .nOut(p.classes())
                .activation(Activation.SOFTMAX)
                .build(),
            "hidden")
        .setOutputs("out")
        .build();
  }

  private static INDArray updaterState(ComputationGraph g) {
    INDArray state = g.getUpdater().getStateViewArray();
    if (state == null) {
      throw new UncheckedIOException(new IOException("the model has no updater state"));
    }
    return state;
  }

  /** What is wrong with a result (empty = the proof holds). */
  static List<String> failures(Map<String, Object> r) {
    List<String> f = new ArrayList<>();
    if (!((Double) r.get("scoreAfter") < (Double) r.get("scoreBefore"))) {
      f.add("score did not go down (" + r.get("scoreBefore") + " -> " + r.get("scoreAfter") + ")");
    }
    if (!((Double) r.get("paramChangeL2") > 0)) {
      f.add("parameters did not change");
    }
    if (!Boolean.TRUE.equals(r.get("reloadedParamsEqual"))
        || !Boolean.TRUE.equals(r.get("reloadedUpdaterEqual"))
        || (Double) r.get("reloadedOutputMaxAbsDiff") != 0.0) {
      f.add("the model read back from " + r.get("model") + " differs from the trained one");
    }
    return f;
  }
}
