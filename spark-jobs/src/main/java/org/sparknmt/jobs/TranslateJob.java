package org.sparknmt.jobs;

import java.net.URI;
import java.util.concurrent.Callable;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaPairRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.sparknmt.jobs.config.ConfigOptions;
import org.sparknmt.jobs.config.Settings;
import org.sparknmt.jobs.decode.ClusterTranslation;
import org.sparknmt.jobs.decode.Decoding;
import org.sparknmt.jobs.decode.ModelSource;
import org.sparknmt.jobs.prep.PrepConfig;
import org.sparknmt.jobs.store.HadoopFiles;
import org.sparknmt.jobs.store.ModelBundle;
import org.sparknmt.jobs.store.ModelStore;
import org.sparknmt.prep.spark.ParallelCorpusReader;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code spark-submit --class org.sparknmt.jobs.TranslateJob app.jar (--bundle URI | --models URI
 * --name NAME) --input URI --output URI}: translates every line of a text file or directory on the
 * cluster with a model bundle (the champion by default). The output directory has one line per
 * input line, in input order (part files in order); an empty input line gives an empty output line;
 * a line longer than the model's maximum length is cut to it. The input is read with a strict UTF-8
 * decoder before anything is decoded: a line that is not valid UTF-8 (e.g. binary input) fails the
 * job with its file and line, or, with {@code sparknmt.data.on-invalid-line = reject}, gives an
 * empty output line and a warning with the count. Written to a temporary directory and renamed into
 * place when complete.
 */
@Command(
    name = "translate",
    mixinStandardHelpOptions = true,
    description = "Batch-translate text files with a model bundle on the cluster.")
public final class TranslateJob implements Callable<Integer> {
  private static final Logger LOG = LoggerFactory.getLogger(TranslateJob.class);

  @Mixin ConfigOptions conf = new ConfigOptions();

  @ArgGroup(exclusive = false, multiplicity = "1")
  BundleOptions model = new BundleOptions();

  @Option(
      names = "--input",
      required = true,
      description = "Text file or directory (any Hadoop URI)")
  URI input;

  @Option(names = "--output", required = true, description = "Output directory (must not exist)")
  URI output;

  public static void main(String[] args) {
    Cli.main(new TranslateJob(), args);
  }

  @Override
  public Integer call() throws Exception {
    RunConfiguration config = RunConfiguration.of(Settings.load(conf));
    try (SparkSession spark = Sessions.create(config.settings(), "translate")) {
      JavaSparkContext sc = JavaSparkContext.fromSparkContext(spark.sparkContext());
      PrepConfig prep = config.data();
      ModelBundle bundle = model.open(sc.hadoopConfiguration());
      FileSystem fs = HadoopFiles.fileSystem(output, sc.hadoopConfiguration());
      Path out = HadoopFiles.qualified(fs, output);
      HadoopFiles.requireNewOutput(fs, out);
      // the input is read and checked (strict UTF-8) before any decoding work
      ParallelCorpusReader.TextLines text =
          new ParallelCorpusReader(sc, prep.invalidLines()).readText(input.toString());
      long n = text.count();
      if (text.invalid() > 0) {
        LOG.warn(
            "{} of {} lines of {} are not valid UTF-8: translated as empty lines"
                + " (sparknmt.data.on-invalid-line = reject)",
            text.invalid(),
            n,
            input);
      }
      Decoding decoding = config.decode().bind(bundle);
      JavaPairRDD<Long, String> lines = text.lines();
      LOG.info("translating {} lines of {} with {}", n, input, bundle.uri());
      Path temp = HadoopFiles.tempSibling(out);
      // kept: sortByKey samples its input before it sorts, which would decode every line twice
      JavaPairRDD<Long, String> translated =
          ClusterTranslation.translate(
                  sc,
                  lines,
                  ModelSource.bundle(bundle.uri()),
                  decoding,
                  prep.normalizer(),
                  config.resources())
              .persist(org.apache.spark.storage.StorageLevel.MEMORY_AND_DISK());
      try {
        translated.sortByKey().values().saveAsTextFile(temp.toString());
        translated.unpersist(false);
        text.release();
        // not FileSystem.rename, which would move the translations into a directory created at
        // --out meanwhile and report success
        HadoopFiles.publishOutput(sc.hadoopConfiguration(), temp, out);
      } finally {
        if (fs.exists(temp)) {
          fs.delete(temp, true);
        }
      }
      LOG.info("wrote {} translations to {}", n, out);
    }
    return Cli.EXIT_OK;
  }

  /** Which bundle: an explicit version directory, or the champion of a name in a model store. */
  static final class BundleOptions {
    @Option(names = "--bundle", description = "Model bundle directory (a version)")
    URI bundle;

    @Option(
        names = "--models",
        description =
            "Model store: the directory that holds models/ (a pipeline's work directory); with"
                + " --name: its champion, else its newest version")
    URI models;

    @Option(names = "--name", defaultValue = "default", description = "Model name")
    String name;

    ModelBundle open(org.apache.hadoop.conf.Configuration hadoop) {
      if (bundle != null) {
        return ModelBundle.open(bundle, hadoop);
      }
      if (models == null) {
        throw new UserError("give --bundle URI or --models URI [--name NAME]");
      }
      return ModelStore.at(models, hadoop).championOrLatest(name);
    }
  }
}
