package org.sparknmt.model;

import java.util.Objects;
import org.nd4j.linalg.schedule.ISchedule;
import org.nd4j.shade.jackson.annotation.JsonProperty;

/**
 * The learning-rate schedule of Vaswani et al. 2017, §5.3 (eq. 3), as a DL4J {@link ISchedule}:
 *
 * <pre>lrate = scale · d_model^-0.5 · min(step^-0.5, step · warmup_steps^-1.5)</pre>
 *
 * <p>It rises linearly for the first {@code warmup_steps} updates and then decays with the inverse
 * square root of the step. {@code step} is 1-based: DL4J's first update has iteration 0, which is
 * step 1 here. The epoch is ignored.
 */
public final class NoamSchedule implements ISchedule {
  private static final long serialVersionUID = 1L;

  private final int dModel;
  private final int warmupSteps;
  private final double scale;

  /**
   * @param dModel d_model
   * @param warmupSteps warmup_steps (> 0)
   * @param scale constant factor (1 in the paper)
   */
  public NoamSchedule(
      @JsonProperty("dModel") int dModel,
      @JsonProperty("warmupSteps") int warmupSteps,
      @JsonProperty("scale") double scale) {
    if (dModel <= 0 || warmupSteps <= 0 || !(scale > 0)) {
      throw new IllegalArgumentException(
          "NoamSchedule needs dModel > 0, warmupSteps > 0, scale > 0; got "
              + dModel
              + ", "
              + warmupSteps
              + ", "
              + scale);
    }
    this.dModel = dModel;
    this.warmupSteps = warmupSteps;
    this.scale = scale;
  }

  /** The schedule configured by a {@link ModelConfig}. */
  public static NoamSchedule of(ModelConfig cfg) {
    return new NoamSchedule(cfg.dModel(), cfg.warmupSteps(), cfg.lrScale());
  }

  /** Learning rate at the given 1-based step. */
  public double rateAtStep(long step) {
    if (step < 1) {
      throw new IllegalArgumentException("step is 1-based, got " + step);
    }
    double s = step;
    return scale
        * Math.pow(dModel, -0.5)
        * Math.min(Math.pow(s, -0.5), s * Math.pow(warmupSteps, -1.5));
  }

  @Override
  public double valueAt(int iteration, int epoch) {
    return rateAtStep(iteration + 1L);
  }

  @Override
  public ISchedule clone() {
    return new NoamSchedule(dModel, warmupSteps, scale);
  }

  /** Named explicitly: Jackson would otherwise call this property "dmodel" (DL4J saves it). */
  @JsonProperty("dModel")
  public int getDModel() {
    return dModel;
  }

  public int getWarmupSteps() {
    return warmupSteps;
  }

  public double getScale() {
    return scale;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof NoamSchedule n
        && n.dModel == dModel
        && n.warmupSteps == warmupSteps
        && Double.compare(n.scale, scale) == 0;
  }

  @Override
  public int hashCode() {
    return Objects.hash(dModel, warmupSteps, scale);
  }

  @Override
  public String toString() {
    return "NoamSchedule(dModel="
        + dModel
        + ", warmupSteps="
        + warmupSteps
        + ", scale="
        + scale
        + ")";
  }
}
