package org.sparknmt.model.layers;

import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.memory.conf.WorkspaceConfiguration;
import org.nd4j.linalg.api.memory.enums.AllocationPolicy;
import org.nd4j.linalg.api.memory.enums.LearningPolicy;
import org.nd4j.linalg.api.memory.enums.ResetPolicy;
import org.nd4j.linalg.api.memory.enums.SpillPolicy;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The off-heap memory of one vertex (or the output layer) for one training step, reused from step
 * to step so that a steady-state step allocates no fresh native buffers (issue 10).
 *
 * <p>It is an ND4J workspace per vertex name and thread. {@link #beginStep} enters it at the
 * vertex's training forward pass (the allocation offset goes back to 0: the previous step's arrays
 * are dead by then) and leaves it open but not current, so every array the forward pass creates,
 * its caches and its output included, stays valid through the backward pass; {@link #resume}
 * borrows it again for the backward pass; {@link #endStep} closes it when DL4J clears the vertex
 * after backprop. Closing is where ND4J learns the step's size: the first step (and a step with a
 * larger batch shape than any before) spills into ordinary allocations, which are freed at that
 * close, and the workspace grows to fit, so later steps of that shape allocate nothing.
 *
 * <p>Why not close the workspace after the forward pass: ND4J frees a cycle's spilled allocations
 * when the cycle closes, so caches that spilled (first step, larger batch) would be freed before
 * the backward pass reads them. DL4J's own workspace modes do not fit either: they scope every
 * vertex's working memory to its forward call (the "outdated workspace pointer" failures).
 *
 * <p>Thread confinement: the workspace belongs to the calling thread (ND4J workspaces are
 * thread-local), as does a training step. Two graphs that interleave training steps on one thread
 * would share a vertex's workspace; {@link #resume} detects that and fails instead of reading
 * overwritten caches.
 */
public final class StepArena {
  /**
   * A workspace that learns its size on the first cycle and grows when a later one spills; memory
   * is reused from offset 0 at every cycle. (Decoding steps use it too, see {@code Translator}.)
   */
  public static final WorkspaceConfiguration CONFIG =
      WorkspaceConfiguration.builder()
          .initialSize(0)
          .overallocationLimit(0.25)
          .policyAllocation(AllocationPolicy.OVERALLOCATE)
          .policyLearning(LearningPolicy.FIRST_LOOP)
          .policySpill(SpillPolicy.REALLOCATE)
          .policyReset(ResetPolicy.BLOCK_LEFT)
          .build();

  private final String id;
  private MemoryWorkspace open;
  private long generation;

  /**
   * @param owner the vertex or layer name (one workspace per name and thread)
   */
  StepArena(String owner) {
    this.id = "sparknmt-step-" + owner;
  }

  /** The workspace id (for DL4J's leverage override: arrays in it are not copied out). */
  String id() {
    return id;
  }

  /**
   * Starts a step: closes the previous one if DL4J did not clear the vertex, enters the workspace
   * and makes it current until the returned scope is closed (the workspace itself stays open).
   */
  Scope beginStep() {
    endStep();
    MemoryWorkspace previous = Nd4j.getMemoryManager().getCurrentWorkspace();
    MemoryWorkspace ws = Nd4j.getWorkspaceManager().getWorkspaceForCurrentThread(CONFIG, id);
    ws.notifyScopeEntered();
    open = ws;
    generation = ws.getGenerationId();
    return () -> Nd4j.getMemoryManager().setCurrentWorkspace(previous);
  }

  /** Makes this step's workspace current again (backward pass) until the scope is closed. */
  Scope resume() {
    if (open == null) {
      return Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()::close;
    }
    if (open.getGenerationId() != generation
        || open != Nd4j.getWorkspaceManager().getWorkspaceForCurrentThread(CONFIG, id)) {
      throw new IllegalStateException(
          "training step memory of "
              + id
              + " was reused before its backward pass (two graphs training on one thread, or a"
              + " backward pass on another thread)");
    }
    return open.notifyScopeBorrowed()::close;
  }

  /** Ends the step: the workspace is closed (its memory is kept for the next step). */
  void endStep() {
    if (open == null) {
      return;
    }
    MemoryWorkspace current = Nd4j.getMemoryManager().getCurrentWorkspace();
    MemoryWorkspace ws = open;
    open = null;
    if (ws.getGenerationId() == generation) {
      ws.close();
    }
    Nd4j.getMemoryManager().setCurrentWorkspace(current == ws ? null : current);
  }

  /** A scope that makes a workspace current; closing it restores the previous one. */
  interface Scope extends AutoCloseable {
    @Override
    void close();
  }
}
