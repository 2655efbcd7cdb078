package org.sparknmt.jobs.report;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import javax.imageio.ImageIO;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sparknmt.jobs.UserError;

class TrainingReportTest {
  private static final byte[] PNG_SIGNATURE = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};

  @TempDir Path tmp;

  private TrainingReport report() {
    return TrainingReport.at(tmp.resolve("report").toUri(), new Configuration());
  }

  /** Three epochs of ten splits: falling loss, warmup then decay, validation after each epoch. */
  private static void feed(TrainingReport report) {
    long step = 0;
    for (int epoch = 0; epoch < 3; epoch++) {
      for (int split = 0; split < 10; split++) {
        step += 50;
        double lr = 1e-3 * Math.min(step / 400.0, Math.sqrt(400.0 / step));
        report.append(
            MetricsRecord.train(
                step, epoch, split, 9.0 / (1 + step / 200.0), lr, 1500, step / 10.0));
      }
      report.append(
          MetricsRecord.dev(
              step, epoch, 9, 6.0 - epoch, 5.0 + 7.5 * epoch, 20.0 + 10 * epoch, step / 10.0));
    }
  }

  @Test
  void rendersPngPlotsAndAnIndexPage() throws IOException {
    TrainingReport report = report();
    feed(report);
    URI index = report.render();
    Path dir = tmp.resolve("report");
    assertEquals(dir.resolve("index.html").toUri().getPath(), index.getPath());

    for (String png : List.of("loss.png", "lr.png", "dev.png")) {
      byte[] bytes = Files.readAllBytes(dir.resolve(png));
      assertArrayEquals(PNG_SIGNATURE, Arrays.copyOf(bytes, 8), png);
      assertTrue(bytes.length > 10_000, png + " is only " + bytes.length + " bytes");
      BufferedImage image = ImageIO.read(dir.resolve(png).toFile());
      assertEquals(800, image.getWidth(), png);
      assertEquals(450, image.getHeight(), png);
    }
    String html = Files.readString(dir.resolve("index.html"));
    for (String ref : List.of("src=\"loss.png\"", "src=\"lr.png\"", "src=\"dev.png\"")) {
      assertTrue(html.contains(ref), ref);
    }
    assertTrue(html.contains("<tr><th>best dev BLEU</th><td>20.00 (epoch 3)</td></tr>"), html);
    assertTrue(html.contains("<tr><th>step</th><td>1500</td></tr>"), html);
    assertTrue(html.contains("<tr><th>wall time</th><td>0:02:30</td></tr>"), html);
  }

  @Test
  void metricsAreJsonLinesThatAResumedRunContinues() throws IOException {
    feed(report());
    List<String> lines = Files.readAllLines(tmp.resolve("report/metrics.jsonl"));
    assertEquals(33, lines.size());
    assertTrue(
        lines.get(0).startsWith("{\"step\":50,\"epoch\":0,\"split\":0,\"loss\":"), lines.get(0));
    assertTrue(lines.get(10).contains("\"devBleu\":5.0"), lines.get(10));
    assertTrue(!lines.get(10).contains("\"loss\""), lines.get(10));

    TrainingReport resumed = report();
    assertEquals(33, resumed.records().size());
    assertEquals(MetricsRecord.dev(500, 0, 9, 6.0, 5.0, 20.0, 50.0), resumed.records().get(10));
    assertEquals(14, resumed.dropAfter(900)); // 12 splits and 2 validations
    resumed.append(MetricsRecord.train(950, 1, 8, 2.0, 1e-4, 1000, 95));
    List<MetricsRecord> again = report().records();
    assertEquals(20, again.size());
    assertEquals(950, again.get(19).step());
  }

  @Test
  void emptyReportStillRenders() throws IOException {
    report().render();
    assertTrue(Files.size(tmp.resolve("report/dev.png")) > 1000);
    assertTrue(Files.readString(tmp.resolve("report/index.html")).contains("none yet"));
  }

  @Test
  void damagedMetricsFileIsAClearError() throws IOException {
    Files.createDirectories(tmp.resolve("report"));
    Files.writeString(tmp.resolve("report/metrics.jsonl"), "{\"step\":1,\"epoch\":0}\nnot json\n");
    UserError e = assertThrows(UserError.class, this::report);
    assertTrue(e.getMessage().contains("metrics.jsonl line 2"), e.getMessage());
  }
}
