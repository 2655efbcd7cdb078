package org.sparknmt.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.net.URI;
import org.junit.jupiter.api.Test;

class WorkDirectoryTest {
  @Test
  void oneLayoutForPipelinesAndRetrainings() {
    WorkDirectory w = WorkDirectory.at(URI.create("hdfs://nn:8020/nmt/work"));
    assertEquals("hdfs://nn:8020/nmt/work/data/shards", w.shards().toString());
    assertEquals("hdfs://nn:8020/nmt/work/run", w.run().toString());
    assertEquals("hdfs://nn:8020/nmt/work", w.models().toString());
    assertEquals("hdfs://nn:8020/nmt/work/parts", w.partCache().toString());
    WorkDirectory r = w.retraining("0a93c5e402001089");
    assertEquals("hdfs://nn:8020/nmt/work/runs/0a93c5e402001089/data", r.data().toString());
    assertEquals("hdfs://nn:8020/nmt/work/runs/0a93c5e402001089/run", r.run().toString());
    assertEquals(
        "hdfs://nn:8020/nmt/work/runs/0a93c5e402001089/outcome.json", r.outcome().toString());
    assertEquals(
        "hdfs://nn:8020/prepared/shards",
        w.withData("hdfs://nn:8020/prepared").shards().toString(),
        "sparknmt.data.output moves the data, not the run");
    assertEquals(w, w.withData(""));
  }
}
