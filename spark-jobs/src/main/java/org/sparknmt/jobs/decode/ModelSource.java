package org.sparknmt.jobs.decode;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.net.URI;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.util.ModelSerializer;
import org.sparknmt.jobs.store.ModelBundle;

/**
 * Where executors get the model they decode with: a model bundle (loaded and verified once per
 * executor), or a model shipped from the driver in a broadcast — one that is not in a bundle yet,
 * such as the final averaged model that training scores before it writes the bundle.
 */
public sealed interface ModelSource extends Serializable {
  /** Identifies the model in an executor's cache: equal keys = the same parameters. */
  String key();

  /** Loads the model (on an executor). */
  ComputationGraph load(Configuration conf);

  static ModelSource bundle(URI bundle) {
    return new Bundle(bundle);
  }

  /** Broadcasts {@code model}'s parameters (without updater state). */
  static ModelSource broadcast(JavaSparkContext sc, ComputationGraph model) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try {
      ModelSerializer.writeModel(model, out, false);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot serialise the model for broadcast", e);
    }
    return new Shipped(sc.broadcast(out.toByteArray()));
  }

  /** A bundle's model; bundles are immutable, so the URI identifies the parameters. */
  record Bundle(URI uri) implements ModelSource {
    @Override
    public String key() {
      return uri.toString();
    }

    @Override
    public ComputationGraph load(Configuration conf) {
      return ModelBundle.open(uri, conf).loadModel(false);
    }
  }

  /** A model in a broadcast (ModelSerializer bytes); the broadcast's id identifies it. */
  record Shipped(Broadcast<byte[]> bytes) implements ModelSource {
    @Override
    public String key() {
      return "broadcast-" + bytes.id();
    }

    @Override
    public ComputationGraph load(Configuration conf) {
      try {
        return ModelSerializer.restoreComputationGraph(
            new ByteArrayInputStream(bytes.value()), false);
      } catch (IOException e) {
        throw new UncheckedIOException("cannot restore the broadcast model", e);
      }
    }
  }
}
