package org.sparknmt.jobs.store;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import org.apache.hadoop.fs.ChecksumException;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.deeplearning4j.nn.graph.ComputationGraph;

/**
 * One complete checkpoint directory {@code <run>/checkpoints/ckpt-<iteration>/}: {@code model.zip}
 * (with updater state), {@code state.json} and, written last, {@code MANIFEST.sha256}, whose
 * presence marks the checkpoint complete. Loading verifies both files against the manifest.
 */
public final class Checkpoint {
  static final String MODEL = "model.zip";
  static final String STATE = "state.json";

  private final FileSystem fs;
  private final Path dir;
  private final long iteration;

  Checkpoint(FileSystem fs, Path dir, long iteration) {
    this.fs = fs;
    this.dir = dir;
    this.iteration = iteration;
  }

  /** A model and the training state saved with it. */
  public record Restored(ComputationGraph model, TrainingState state, Checkpoint checkpoint) {}

  /**
   * Directory name, e.g. {@code ckpt-0000001200}; what {@link TrainingState#bestCheckpoint} holds.
   */
  public String name() {
    return dir.getName();
  }

  public long iteration() {
    return iteration;
  }

  public URI uri() {
    return dir.toUri();
  }

  /** URI of the model zip (for tools that read it directly, e.g. checkpoint averaging). */
  public URI modelUri() {
    return new Path(dir, MODEL).toUri();
  }

  /** The training state, checked against the manifest. */
  public TrainingState state() {
    try {
      Manifest manifest = Manifest.read(fs, dir);
      Path file = new Path(dir, STATE);
      String json = HadoopFiles.readString(fs, file);
      byte[] bytes = json.getBytes(StandardCharsets.UTF_8);
      manifest.check(dir, "checkpoint", STATE, Manifest.sha256(new ByteArrayInputStream(bytes)));
      return TrainingState.fromJson(json, file.toString());
    } catch (ChecksumException e) {
      throw Manifest.damaged(dir, "checkpoint", STATE, e);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the state of checkpoint " + dir, e);
    }
  }

  /** The model with its updater state (to continue training), checked against the manifest. */
  public ComputationGraph loadModel() {
    return loadModel(true);
  }

  /** The model, with or without its updater state, checked against the manifest. */
  public ComputationGraph loadModel(boolean withUpdater) {
    try {
      Manifest manifest = Manifest.read(fs, dir);
      return ModelFiles.load(
          fs,
          new Path(dir, MODEL),
          withUpdater,
          sha -> manifest.check(dir, "checkpoint", MODEL, sha));
    } catch (ChecksumException e) {
      throw Manifest.damaged(dir, "checkpoint", MODEL, e);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot load the model of checkpoint " + dir, e);
    }
  }

  /** Model with updater state plus training state. */
  public Restored load() {
    TrainingState state = state();
    return new Restored(loadModel(true), state, this);
  }

  @Override
  public String toString() {
    return dir.toString();
  }
}
