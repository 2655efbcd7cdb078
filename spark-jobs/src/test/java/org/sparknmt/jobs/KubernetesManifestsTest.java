package org.sparknmt.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.spark.network.util.JavaUtils;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.sparknmt.jobs.config.ConfigOptions;
import org.sparknmt.jobs.config.Settings;
import picocli.CommandLine;

/**
 * The Kubernetes packaging in {@code deploy/k8s/} and the manifests that use it agree with the
 * build: the Dockerfile's base image is the official Spark image of the build's Spark and Scala
 * versions on Java 17, it copies the jar the build produces and {@code conf/}, and it takes the
 * Java options from that jar; each Spark operator manifest runs a real job class from the jar's
 * path inside the image, with options that job has, {@code sparknmt.*} keys that exist and a
 * configuration file the image holds, the build's Spark version, no Java options of its own (the
 * image carries them), and executor sizes that agree with the configuration it names.
 */
class KubernetesManifestsTest {
  private static final Path REPO = Path.of(System.getProperty("sparknmt.repo", ".."));
  private static final Path K8S = REPO.resolve("deploy/k8s");

  /** Destination in the image of each repository path the Dockerfile copies. */
  private static Map<String, String> imageLayout() throws IOException {
    Map<String, String> layout = new LinkedHashMap<>();
    Matcher copy =
        Pattern.compile("(?m)^COPY\\s+(?:--\\S+\\s+)*(\\S+)\\s+(\\S+)\\s*$")
            .matcher(Files.readString(K8S.resolve("Dockerfile")));
    while (copy.find()) {
      layout.put(copy.group(1), copy.group(2));
    }
    return layout;
  }

  @Test
  void dockerfileBuildsOnTheOfficialSparkImageOfTheBuildsVersions() throws IOException {
    String dockerfile = Files.readString(K8S.resolve("Dockerfile"));
    String expected =
        "apache/spark:"
            + BuildInfo.get("spark.version")
            + "-scala"
            + BuildInfo.get("scala.binary.version")
            + "-java17-ubuntu";
    assertTrue(
        dockerfile.contains("ARG SPARK_IMAGE=" + expected + "\n"), "the base image is " + expected);
    assertTrue(dockerfile.contains("FROM ${SPARK_IMAGE}"), "FROM the SPARK_IMAGE argument");
  }

  @Test
  void dockerfileCopiesWhatTheBuildProduces() throws IOException {
    Map<String, String> layout = imageLayout();
    assertEquals(
        Map.of(
            "spark-jobs/target/sparknmt-app.jar", "/opt/sparknmt/sparknmt-app.jar",
            "conf/", "/opt/sparknmt/conf/"),
        layout);
    String shade = Files.readString(REPO.resolve("spark-jobs/pom.xml"));
    assertTrue(
        shade.contains("<finalName>sparknmt-app</finalName>"),
        "the shaded jar is spark-jobs/target/sparknmt-app.jar");
    assertTrue(Files.isDirectory(REPO.resolve("conf")));

    // the build context is the repository root; only what COPY needs gets through
    List<String> ignore =
        Files.readAllLines(K8S.resolve("Dockerfile.dockerignore")).stream()
            .filter(l -> !l.isBlank() && !l.startsWith("#"))
            .toList();
    assertEquals("*", ignore.get(0), "everything is excluded first");
    assertEquals(
        layout.keySet().stream().map(source -> "!" + source).toList(),
        ignore.subList(1, ignore.size()));
  }

  /** The image's Java options come from the jar inside it, checked while the image is built. */
  @Test
  void imageTakesItsJavaOptionsFromTheJar() throws Exception {
    String dockerfile = Files.readString(K8S.resolve("Dockerfile"));
    String jar = imageLayout().get("spark-jobs/target/sparknmt-app.jar");
    assertTrue(
        dockerfile.contains("java -cp " + jar + " " + JvmOptions.class.getName()),
        "the build compares SPARKNMT_JAVA_OPTIONS with what the jar prints");
    JvmOptions.class.getMethod("main", String[].class);
    assertTrue(dockerfile.contains("JDK_JAVA_OPTIONS=\"${SPARKNMT_JAVA_OPTIONS}\""));
    assertFalse(dockerfile.contains("--add-opens"), "no copy of the options in the Dockerfile");
    assertTrue(dockerfile.contains("OMP_WAIT_POLICY=PASSIVE"), "as Sessions sets on executors");
    String script = Files.readString(K8S.resolve("build-image.sh"));
    assertTrue(
        script.contains(
            "JAVA_OPTIONS=$(java -cp \"$APP_JAR\" " + JvmOptions.class.getName() + ")"));
    assertTrue(script.contains("--build-arg \"SPARKNMT_JAVA_OPTIONS=$JAVA_OPTIONS\""));
    assertTrue(Files.isExecutable(K8S.resolve("build-image.sh")));
  }

  @ParameterizedTest
  @ValueSource(strings = {"k8s/sparknmt-pipeline.yaml", "schedule/retrain-scheduled.yaml"})
  void manifestRunsAJobOfTheImageAsTheBuildHasIt(String manifest) throws Exception {
    Map<String, Object> doc = MiniYaml.parse(Files.readString(REPO.resolve("deploy/" + manifest)));
    assertEquals("sparkoperator.k8s.io/v1beta2", doc.get("apiVersion"));
    Map<String, Object> spec = map(doc, "spec");
    if ("ScheduledSparkApplication".equals(doc.get("kind"))) {
      spec = map(spec, "template");
    } else {
      assertEquals("SparkApplication", doc.get("kind"));
    }

    String script = Files.readString(K8S.resolve("build-image.sh"));
    Matcher tag = Pattern.compile("(?m)^TAG=(\\S+)$").matcher(script);
    assertTrue(tag.find(), "build-image.sh has a default TAG");
    assertEquals(
        tag.group(1), spec.get("image"), manifest + " runs the image build-image.sh makes");
    assertEquals(
        "local://" + imageLayout().get("spark-jobs/target/sparknmt-app.jar"),
        spec.get("mainApplicationFile"));
    assertEquals(org.apache.spark.package$.MODULE$.SPARK_VERSION(), spec.get("sparkVersion"));

    Class<?> mainClass = Class.forName((String) spec.get("mainClass"));
    mainClass.getMethod("main", String[].class);
    CommandLine.Model.CommandSpec options =
        new CommandLine(mainClass.getDeclaredConstructor().newInstance()).getCommandSpec();
    List<String> confFiles = new ArrayList<>();
    List<String> sets = new ArrayList<>();
    List<?> arguments = (List<?>) spec.get("arguments");
    for (int i = 0; i < arguments.size(); i++) {
      String arg = (String) arguments.get(i);
      if (!arg.startsWith("--")) {
        continue;
      }
      CommandLine.Model.OptionSpec option = options.findOption(arg);
      assertNotNull(option, manifest + ": " + mainClass.getSimpleName() + " has no " + arg);
      String value = option.arity().max() > 0 ? (String) arguments.get(++i) : null;
      if (arg.equals("--conf")) {
        String inImage = imageLayout().get("conf/");
        assertTrue(value.startsWith(inImage), value + " is in the image's " + inImage);
        Path file = REPO.resolve("conf").resolve(value.substring(inImage.length()));
        assertTrue(Files.isRegularFile(file), value + ": no " + file + " in conf/");
        confFiles.add(file.toString());
      } else if (arg.equals("--set")) {
        sets.add(value);
      }
    }
    Settings settings = Settings.load(new ConfigOptions(confFiles, sets)); // unknown keys fail

    Map<String, Object> driver = map(spec, "driver");
    Map<String, Object> executor = map(spec, "executor");
    for (Map<String, Object> pod : List.of(driver, executor)) {
      assertFalse(pod.containsKey("javaOptions"), manifest + ": the image carries the options");
    }
    assertFalse(
        String.valueOf(spec.get("sparkConf")).contains("extraJavaOptions"),
        manifest + ": the image carries the Java options");

    // executor sizes agree with the configuration (Sessions sets these from it on the driver)
    int cores = Integer.parseInt((String) executor.get("cores"));
    assertEquals(
        settings.integer("sparknmt.nd4j.executor-omp-threads", 1, 1024),
        cores,
        manifest + ": executor cores = sparknmt.nd4j.executor-omp-threads");
    String sparkCores = "sparknmt.spark.conf.\"spark.executor.cores\"";
    if (settings.raw().hasPath(sparkCores)) {
      assertEquals(String.valueOf(cores), settings.raw().getString(sparkCores));
    }
    long heap = JavaUtils.byteStringAsBytes((String) executor.get("memory"));
    String overhead = (String) executor.get("memoryOverhead");
    assertNotNull(overhead, manifest + ": executor memoryOverhead (ND4J's off-heap memory)");
    assertEquals(
        JavaUtils.byteStringAsBytes(settings.string("sparknmt.nd4j.executor-memory-overhead")),
        JavaUtils.byteStringAsBytes(overhead),
        manifest + ": memoryOverhead = sparknmt.nd4j.executor-memory-overhead");
    assertTrue(
        heap + JavaUtils.byteStringAsBytes(overhead)
            >= JavaUtils.byteStringAsBytes(
                settings.string("sparknmt.nd4j.executor-max-physical-bytes")),
        manifest + ": heap + memoryOverhead cover sparknmt.nd4j.executor-max-physical-bytes");
    int workers = settings.integer("sparknmt.train.workers", 0, 100_000);
    assertEquals(
        Integer.parseInt((String) executor.get("instances")),
        workers,
        manifest + ": one training worker per executor");
    assertEquals(
        driver.get("cores"),
        envValue(driver, "OMP_NUM_THREADS"),
        manifest + ": ND4J threads on the driver = its cores");
  }

  @Test
  void everyFileInDeployK8sIsTested() throws IOException {
    try (var files = Files.list(K8S)) {
      assertEquals(
          List.of(
              "Dockerfile", "Dockerfile.dockerignore", "build-image.sh", "sparknmt-pipeline.yaml"),
          files.map(p -> p.getFileName().toString()).sorted().toList());
    }
  }

  @Test
  void miniYamlReadsNestedMapsListsAndQuotedScalars() {
    Map<String, Object> doc =
        MiniYaml.parse(
            "# comment\na:\n  b: \"3.5\"\n  c:\n    - --x\n    - y\n  env:\n"
                + "    - name: N\n      value: \"1\"\nd: e\n");
    assertEquals(
        Map.of(
            "a",
            Map.of(
                "b",
                "3.5",
                "c",
                List.of("--x", "y"),
                "env",
                List.of(Map.of("name", "N", "value", "1"))),
            "d",
            "e"),
        doc);
  }

  private static String envValue(Map<String, Object> pod, String name) {
    Object env = pod.get("env");
    if (env instanceof List<?> list) {
      for (Object entry : list) {
        Map<?, ?> variable = (Map<?, ?>) entry;
        if (name.equals(variable.get("name"))) {
          return (String) variable.get("value");
        }
      }
    }
    return fail("no env " + name + " in " + pod);
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> map(Map<String, Object> parent, String key) {
    Object value = parent.get(key);
    assertTrue(value instanceof Map, "a map under " + key + ": " + value);
    return (Map<String, Object>) value;
  }

  /**
   * The block-style YAML subset the manifests use (maps, lists of scalars or of maps, quoted or
   * plain scalars, comments), so the test needs no YAML library; anything else fails.
   */
  static final class MiniYaml {
    private final List<String> lines = new ArrayList<>();
    private int next;

    private MiniYaml(String text) {
      for (String line : text.split("\n")) {
        if (!line.isBlank() && !line.strip().startsWith("#")) {
          lines.add(line);
        }
      }
    }

    static Map<String, Object> parse(String text) {
      MiniYaml yaml = new MiniYaml(text);
      Map<String, Object> doc = yaml.map(0);
      if (yaml.next != yaml.lines.size()) {
        throw new IllegalArgumentException("unexpected line: " + yaml.lines.get(yaml.next));
      }
      return doc;
    }

    private static int indent(String line) {
      return line.length() - line.stripLeading().length();
    }

    private Map<String, Object> map(int indent) {
      Map<String, Object> map = new LinkedHashMap<>();
      while (next < lines.size() && indent(lines.get(next)) == indent) {
        String line = lines.get(next).strip();
        if (line.startsWith("- ")) {
          break;
        }
        int colon = line.indexOf(':');
        if (colon <= 0) {
          throw new IllegalArgumentException("not a key: " + line);
        }
        String key = line.substring(0, colon);
        String rest = line.substring(colon + 1).strip();
        next++;
        map.put(key, rest.isEmpty() ? block(indent) : scalar(rest));
      }
      return map;
    }

    /** The value of a key with nothing after its colon: a list or a map on the next lines. */
    private Object block(int parentIndent) {
      if (next >= lines.size() || indent(lines.get(next)) < parentIndent) {
        return "";
      }
      String first = lines.get(next);
      int indent = indent(first);
      if (first.strip().startsWith("- ")) {
        List<Object> list = new ArrayList<>();
        while (next < lines.size()
            && indent(lines.get(next)) == indent
            && lines.get(next).strip().startsWith("- ")) {
          String item = lines.get(next).strip().substring(2);
          if (item.matches("[A-Za-z][\\w.-]*:( .*)?")) { // a map item: "- key: value" + keys below
            lines.set(next, " ".repeat(indent + 2) + item);
            list.add(map(indent + 2));
          } else {
            list.add(scalar(item));
            next++;
          }
        }
        return list;
      }
      if (indent <= parentIndent) {
        return "";
      }
      return map(indent);
    }

    private static String scalar(String text) {
      if (text.length() >= 2 && text.startsWith("\"") && text.endsWith("\"")) {
        return text.substring(1, text.length() - 1);
      }
      return text;
    }
  }
}
