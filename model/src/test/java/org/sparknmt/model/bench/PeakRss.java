package org.sparknmt.model.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** The benchmarks' peak resident set size: VmHWM of this process (Linux). */
final class PeakRss {
  private PeakRss() {}

  /** VmHWM in MB, or -1 where /proc/self/status has none. */
  static double megabytes() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
        if (line.startsWith("VmHWM:")) {
          return Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024.0;
        }
      }
    } catch (IOException e) {
      return -1;
    }
    return -1;
  }
}
