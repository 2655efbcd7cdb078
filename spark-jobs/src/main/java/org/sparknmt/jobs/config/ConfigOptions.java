package org.sparknmt.jobs.config;

import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Option;

/**
 * The configuration options every job shares (a picocli mixin): configuration files layered over
 * the defaults in {@code reference.conf}, then {@code --set key=value} overrides, e.g. {@code
 * --conf conf/local.conf --set sparknmt.train.epochs=3}.
 */
public final class ConfigOptions {
  @Option(
      names = "--conf",
      paramLabel = "FILE",
      description =
          "HOCON configuration file(s) layered over the defaults (later files win); local path,"
              + " or a classpath resource as classpath:NAME")
  List<String> files = new ArrayList<>();

  @Option(
      names = "--set",
      paramLabel = "KEY=VALUE",
      description = "Override one configuration key (repeatable; wins over --conf)")
  List<String> overrides = new ArrayList<>();

  public ConfigOptions() {}

  public ConfigOptions(List<String> files, List<String> overrides) {
    this.files = new ArrayList<>(files);
    this.overrides = new ArrayList<>(overrides);
  }

  public List<String> files() {
    return List.copyOf(files);
  }

  public List<String> overrides() {
    return List.copyOf(overrides);
  }
}
