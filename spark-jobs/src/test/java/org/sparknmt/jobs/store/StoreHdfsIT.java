package org.sparknmt.jobs.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.IOException;
import java.io.OutputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.hdfs.MiniDFSCluster;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.sparknmt.jobs.UserError;

/** The stores on a real {@code hdfs://} file system (one MiniDFSCluster for the class). */
class StoreHdfsIT {
  private static MiniDFSCluster cluster;
  private static Configuration conf;
  private static FileSystem fs;
  private static URI root;
  private static ComputationGraph graph;

  @BeforeAll
  static void startHdfs() throws IOException {
    File base = new File("target/minidfs-" + StoreHdfsIT.class.getSimpleName()).getAbsoluteFile();
    conf = new Configuration();
    cluster = new MiniDFSCluster.Builder(conf, base).numDataNodes(1).format(true).build();
    cluster.waitActive();
    fs = cluster.getFileSystem();
    root = URI.create(fs.getUri() + "/sparknmt");
    graph = SmallGraphs.trained(5, 2);
  }

  @AfterAll
  static void stopHdfs() {
    if (cluster != null) {
      cluster.shutdown(true);
    }
  }

  /**
   * With the default umask (sparknmt.storage.umask = 027, passed to Hadoop as
   * fs.permissions.umask-mode) a bundle's directories are 0750 and its files 0640 on HDFS with
   * permissions on, and another user cannot read the model.
   */
  @Test
  void bundlesAreWrittenWithTheConfiguredPermissions() throws Exception {
    Configuration restricted = new Configuration(conf);
    restricted.set("fs.permissions.umask-mode", "027");
    restricted.setBoolean("fs.hdfs.impl.disable.cache", true); // a file system with this umask
    ModelStore store = ModelStore.at(URI.create(fs.getUri() + "/restricted"), restricted);
    ModelBundle bundle = ModelStoreTest.complete(store.writer("private"), graph).commit();
    org.apache.hadoop.fs.Path dir = new org.apache.hadoop.fs.Path(bundle.uri());
    org.apache.hadoop.fs.Path model = new org.apache.hadoop.fs.Path(dir, ModelBundle.MODEL);
    assertEquals("rwxr-x---", fs.getFileStatus(dir).getPermission().toString());
    assertEquals("rw-r-----", fs.getFileStatus(model).getPermission().toString());
    org.apache.hadoop.security.UserGroupInformation other =
        org.apache.hadoop.security.UserGroupInformation.createUserForTesting(
            "mallory", new String[] {"outsiders"});
    org.apache.hadoop.security.AccessControlException denied =
        org.junit.jupiter.api.Assertions.assertThrows(
            org.apache.hadoop.security.AccessControlException.class,
            () ->
                other.doAs(
                    (java.security.PrivilegedExceptionAction<Object>)
                        () -> {
                          try (FileSystem theirs = FileSystem.newInstance(fs.getUri(), conf)) {
                            theirs.open(model).close();
                          }
                          return null;
                        }));
    assertTrue(denied.getMessage().contains("mallory"), denied.getMessage());
  }

  @Test
  void bundlesOnHdfsVerifyAreImmutableAndTheChampionSwitches() throws IOException {
    ModelStore store = ModelStore.at(root, conf);
    ModelBundle v1 = ModelStoreTest.complete(store.writer("hdfs-model"), graph).commit();
    assertEquals("hdfs", v1.uri().getScheme());
    ModelStoreTest.complete(store.writer("hdfs-model"), graph).commit();
    assertEquals(List.of("v0001", "v0002"), store.versions("hdfs-model"));
    assertEquals(graph.params(), store.open("hdfs-model", "v0002").loadModel(true).params());

    // HDFS rename must not move the new bundle *into* an existing version directory
    UserError exists =
        assertThrows(
            UserError.class,
            () ->
                ModelStoreTest.complete(store.writer("hdfs-model"), graph)
                    .version("v0001")
                    .commit());
    assertTrue(exists.getMessage().contains("immutable"), exists.getMessage());
    assertEquals(
        List.of("v0001", "v0002"),
        visible(new Path(root + "/models/hdfs-model")).stream()
            .filter(n -> n.startsWith("v"))
            .toList());
    assertEquals(
        store.open("hdfs-model", "v0001").manifest().sums().keySet(),
        v1.manifest().sums().keySet());

    store.promote("hdfs-model", "v0001");
    store.promote("hdfs-model", "v0002");
    assertEquals("v0002", store.champion("hdfs-model").orElseThrow().version());
    assertEquals(
        List.of("champion", "v0001", "v0002"), visible(new Path(root + "/models/hdfs-model")));

    Path metrics = new Path(root + "/models/hdfs-model/v0001/metrics.json");
    try (OutputStream out = fs.create(metrics, true)) {
      out.write("{\"devBleu\": 99.9}\n".getBytes(StandardCharsets.UTF_8));
    }
    UserError tampered = assertThrows(UserError.class, () -> store.open("hdfs-model", "v0001"));
    assertTrue(tampered.getMessage().contains("metrics.json"), tampered.getMessage());
  }

  @Test
  void checkpointsOnHdfsSurviveACrashedWrite() throws IOException {
    URI run = URI.create(root + "/runs/r1");
    CheckpointStore store = CheckpointStore.open(run, conf, 2);
    TrainingState s = TrainingState.initial(1, 2);
    store.save(graph, s.at(0, 1, 10, 10));
    store.save(graph, s.at(0, 2, 20, 20));
    Path leftover = new Path(run + "/checkpoints/.tmp-ckpt-0000000030-crash");
    fs.mkdirs(leftover);
    fs.create(new Path(leftover, "model.zip")).close();

    Checkpoint.Restored r = store.restoreLatest().orElseThrow();
    assertEquals(20, r.state().iteration());
    assertEquals(
        graph.getUpdater().getStateViewArray(), r.model().getUpdater().getStateViewArray());

    store.save(graph, s.at(1, 0, 30, 30));
    assertEquals(
        List.of("ckpt-0000000020", "ckpt-0000000030"), visible(new Path(run + "/checkpoints")));
  }

  private static List<String> visible(Path dir) throws IOException {
    FileStatus[] all = fs.listStatus(dir);
    return Arrays.stream(all)
        .map(st -> st.getPath().getName())
        .filter(n -> !n.startsWith("."))
        .sorted()
        .toList();
  }
}
