package org.sparknmt.jobs.store;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.sparknmt.jobs.UserError;

/**
 * The checkpoints of one training run, {@code <run>/checkpoints/ckpt-<iteration>/}, on any Hadoop
 * URI.
 *
 * <p>A checkpoint is written into a hidden temporary directory next to its final place and renamed
 * into place in one step, its manifest written last; a checkpoint counts as complete only if its
 * {@code MANIFEST.sha256} is present and lists the model and the state. A driver killed mid-write
 * therefore leaves at most a hidden temporary directory, which every listing ignores and the next
 * {@link #save} deletes. After each save the newest {@code keepLast} complete checkpoints and the
 * best one (named by the newest state) are kept; older ones are deleted.
 *
 * <p>One writer per run directory (the driver); any number of readers.
 */
public final class CheckpointStore {
  private static final Logger LOG = LoggerFactory.getLogger(CheckpointStore.class);
  private static final Pattern NAME = Pattern.compile("ckpt-(\\d+)");
  static final String DIR = "checkpoints";

  private final Configuration conf;
  private final FileSystem fs;
  private final Path dir;
  private final int keepLast;

  private CheckpointStore(Configuration conf, FileSystem fs, Path dir, int keepLast) {
    this.conf = conf;
    this.fs = fs;
    this.dir = dir;
    this.keepLast = keepLast;
  }

  /**
   * The checkpoint store of the run directory {@code runDir} (created on the first save).
   *
   * @param keepLast how many of the newest checkpoints to keep (at least 1), besides the best
   */
  public static CheckpointStore open(URI runDir, Configuration conf, int keepLast) {
    if (keepLast < 1) {
      throw new UserError("checkpoints to keep must be at least 1, got " + keepLast);
    }
    FileSystem fs = HadoopFiles.fileSystem(runDir, conf);
    Path run = HadoopFiles.qualified(fs, runDir);
    return new CheckpointStore(conf, fs, new Path(run, DIR), keepLast);
  }

  /** The directory name of the checkpoint after {@code iteration} iterations. */
  public static String nameFor(long iteration) {
    return String.format("ckpt-%010d", iteration);
  }

  /** The {@code checkpoints/} directory. */
  public URI uri() {
    return dir.toUri();
  }

  /**
   * Saves {@code model} with its updater state and {@code state} as checkpoint {@code
   * ckpt-<state.iteration()>} (replacing a checkpoint of the same iteration), then deletes
   * checkpoints beyond the retention.
   */
  public Checkpoint save(ComputationGraph model, TrainingState state) {
    String name = nameFor(state.iteration());
    Path target = new Path(dir, name);
    Path temp = HadoopFiles.tempSibling(target);
    long start = System.nanoTime();
    try {
      HadoopFiles.mkdirs(fs, temp);
      String modelSha = ModelFiles.write(fs, new Path(temp, Checkpoint.MODEL), model, true);
      String json = state.toJson();
      HadoopFiles.writeString(fs, new Path(temp, Checkpoint.STATE), json);
      Manifest manifest = Manifest.compute(fs, temp);
      if (!modelSha.equals(manifest.sums().get(Checkpoint.MODEL))) {
        throw new IOException(Checkpoint.MODEL + " changed while it was written to " + temp);
      }
      manifest.write(fs, temp); // last: its presence marks the checkpoint complete
      if (fs.exists(target)) {
        Path aside = HadoopFiles.tempSibling(target);
        LOG.warn("replacing checkpoint {} (same iteration saved again)", target);
        HadoopFiles.publish(conf, target, aside);
        HadoopFiles.publish(conf, temp, target);
        fs.delete(aside, true);
      } else {
        HadoopFiles.publish(conf, temp, target);
      }
    } catch (IOException e) {
      deleteQuietly(temp);
      throw new UncheckedIOException("cannot write checkpoint " + target, e);
    } catch (RuntimeException e) {
      deleteQuietly(temp);
      throw e;
    }
    LOG.info(
        "checkpoint {} written (epoch {}, next batch {}) in {} ms",
        target,
        state.epoch(),
        state.nextBatch(),
        (System.nanoTime() - start) / 1_000_000);
    prune();
    return new Checkpoint(fs, target, state.iteration());
  }

  /** Complete checkpoints, newest (highest iteration) first. */
  public List<Checkpoint> complete() {
    List<Checkpoint> out = new ArrayList<>();
    try {
      if (!fs.exists(dir)) {
        return out;
      }
      for (FileStatus st : fs.listStatus(dir)) {
        Matcher m = NAME.matcher(st.getPath().getName());
        if (st.isDirectory() && m.matches() && isComplete(st.getPath())) {
          out.add(new Checkpoint(fs, st.getPath(), Long.parseLong(m.group(1))));
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list checkpoints in " + dir, e);
    }
    out.sort(Comparator.comparingLong(Checkpoint::iteration).reversed());
    return out;
  }

  /** The newest complete checkpoint, if any. */
  public Optional<Checkpoint> latestComplete() {
    return complete().stream().findFirst();
  }

  /** The newest {@code n} complete checkpoints, newest first (fewer if there are fewer). */
  public List<Checkpoint> lastN(int n) {
    List<Checkpoint> all = complete();
    return all.subList(0, Math.min(n, all.size()));
  }

  /**
   * The newest {@code n} complete checkpoints written at the end of an epoch (their state points at
   * batch 0 of the next epoch), newest first — what fairseq's {@code --num-epoch-checkpoints}
   * averages. Fewer if retention ({@code keepLast}) already deleted older ones.
   */
  public List<Checkpoint> lastEpochEnds(int n) {
    return complete().stream().filter(c -> c.state().nextBatch() == 0).limit(n).toList();
  }

  /** The complete checkpoint called {@code name} (e.g. {@link TrainingState#bestCheckpoint}). */
  public Optional<Checkpoint> find(String name) {
    return complete().stream().filter(c -> c.name().equals(name)).findFirst();
  }

  /**
   * Loads the newest complete checkpoint whose files verify against its manifest, for resuming.
   * Damaged checkpoints are skipped with a warning; empty if there is no usable one.
   */
  public Optional<Checkpoint.Restored> restoreLatest() {
    for (Checkpoint c : complete()) {
      try {
        Checkpoint.Restored r = c.load();
        LOG.info(
            "resuming from {} (epoch {}, next batch {}, iteration {})",
            c,
            r.state().epoch(),
            r.state().nextBatch(),
            r.state().iteration());
        return Optional.of(r);
      } catch (UserError e) {
        LOG.warn("skipping damaged checkpoint: {}", e.getMessage());
      }
    }
    return Optional.empty();
  }

  private boolean isComplete(Path ckpt) throws IOException {
    Path manifestFile = new Path(ckpt, Manifest.FILE_NAME);
    if (!fs.exists(manifestFile)) {
      return false;
    }
    Manifest manifest;
    try {
      manifest = Manifest.parse(HadoopFiles.readString(fs, manifestFile), manifestFile.toString());
    } catch (UserError e) {
      LOG.warn("ignoring checkpoint with an unreadable manifest: {}", e.getMessage());
      return false;
    }
    return manifest.sums().containsKey(Checkpoint.MODEL)
        && manifest.sums().containsKey(Checkpoint.STATE)
        && fs.exists(new Path(ckpt, Checkpoint.MODEL))
        && fs.exists(new Path(ckpt, Checkpoint.STATE));
  }

  /** Deletes checkpoints beyond the retention, leftovers of crashed writes and stale partials. */
  private void prune() {
    List<Checkpoint> all = complete();
    if (all.isEmpty()) {
      return;
    }
    Set<String> keep = new HashSet<>();
    for (int i = 0; i < Math.min(keepLast, all.size()); i++) {
      keep.add(all.get(i).name());
    }
    String best = all.get(0).state().bestCheckpoint();
    if (best != null) {
      keep.add(best);
    }
    long newest = all.get(0).iteration();
    try {
      for (FileStatus st : fs.listStatus(dir)) {
        String name = st.getPath().getName();
        Matcher m = NAME.matcher(name);
        boolean stale =
            name.startsWith(HadoopFiles.TEMP_PREFIX)
                || (m.matches()
                    && !keep.contains(name)
                    && (Long.parseLong(m.group(1)) < newest || !isComplete(st.getPath())));
        if (stale) {
          LOG.info("deleting old or partial checkpoint {}", st.getPath());
          fs.delete(st.getPath(), true);
        }
      }
    } catch (IOException e) {
      // retention is housekeeping: a failure must not fail the training that saved the checkpoint
      LOG.warn("could not delete old checkpoints in {}: {}", dir, e.toString());
    }
  }

  private void deleteQuietly(Path p) {
    try {
      fs.delete(p, true);
    } catch (IOException e) {
      LOG.warn("could not delete {}: {}", p, e.toString());
    }
  }
}
