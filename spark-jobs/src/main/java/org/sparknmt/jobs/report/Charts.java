package org.sparknmt.jobs.report;

import java.awt.BasicStroke;
import java.awt.Color;
import java.io.File;
import java.io.IOException;
import java.util.List;
import java.util.function.Function;
import java.util.function.ToDoubleFunction;
import org.jfree.chart.ChartFactory;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.plot.PlotOrientation;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

/** The report's plots, drawn by JFreeChart without a display. */
final class Charts {
  static final int WIDTH = 800;
  static final int HEIGHT = 450;

  static {
    // before any AWT class initialises: drivers and executors have no display
    if (System.getProperty("java.awt.headless") == null) {
      System.setProperty("java.awt.headless", "true");
    }
  }

  private Charts() {}

  /** Training loss (and dev loss where validated) against the optimiser step. */
  static JFreeChart loss(List<MetricsRecord> records) {
    XYSeriesCollection data = new XYSeriesCollection();
    data.addSeries(series("train loss", records, MetricsRecord::loss, r -> (double) r.step()));
    data.addSeries(series("dev loss", records, MetricsRecord::devLoss, r -> (double) r.step()));
    return chart("Loss", "step", "loss", data, false);
  }

  /** Learning rate against the optimiser step. */
  static JFreeChart learningRate(List<MetricsRecord> records) {
    XYSeriesCollection data = new XYSeriesCollection();
    data.addSeries(series("learning rate", records, MetricsRecord::lr, r -> (double) r.step()));
    return chart("Learning rate", "step", "learning rate", data, false);
  }

  /** Dev BLEU and chrF against the epoch (counted from 1). */
  static JFreeChart devScores(List<MetricsRecord> records) {
    XYSeriesCollection data = new XYSeriesCollection();
    data.addSeries(series("dev BLEU", records, MetricsRecord::devBleu, r -> r.epoch() + 1.0));
    data.addSeries(series("dev chrF", records, MetricsRecord::devChrf, r -> r.epoch() + 1.0));
    JFreeChart chart = chart("Validation", "epoch", "score (0-100)", data, true);
    ((NumberAxis) chart.getXYPlot().getDomainAxis())
        .setStandardTickUnits(NumberAxis.createIntegerTickUnits());
    return chart;
  }

  static void savePng(JFreeChart chart, File file) throws IOException {
    ChartUtils.saveChartAsPNG(file, chart, WIDTH, HEIGHT);
  }

  private static XYSeries series(
      String name,
      List<MetricsRecord> records,
      Function<MetricsRecord, Double> y,
      ToDoubleFunction<MetricsRecord> x) {
    XYSeries s = new XYSeries(name, false, true);
    for (MetricsRecord r : records) {
      Double v = y.apply(r);
      if (v != null && Double.isFinite(v)) {
        s.add(x.applyAsDouble(r), v);
      }
    }
    return s;
  }

  private static JFreeChart chart(
      String title, String xLabel, String yLabel, XYSeriesCollection data, boolean shapes) {
    JFreeChart chart =
        ChartFactory.createXYLineChart(
            title, xLabel, yLabel, data, PlotOrientation.VERTICAL, true, false, false);
    chart.setBackgroundPaint(Color.WHITE);
    XYPlot plot = chart.getXYPlot();
    plot.setBackgroundPaint(Color.WHITE);
    plot.setDomainGridlinePaint(Color.LIGHT_GRAY);
    plot.setRangeGridlinePaint(Color.LIGHT_GRAY);
    plot.setNoDataMessage("no data yet");
    ((NumberAxis) plot.getRangeAxis()).setAutoRangeIncludesZero(false);
    XYLineAndShapeRenderer renderer = new XYLineAndShapeRenderer(true, shapes);
    for (int i = 0; i < data.getSeriesCount(); i++) {
      renderer.setSeriesStroke(i, new BasicStroke(1.5f));
      // validations are sparse points; a single point is only visible as a shape
      boolean sparse =
          data.getSeriesKey(i).toString().startsWith("dev") || data.getItemCount(i) == 1;
      renderer.setSeriesShapesVisible(i, shapes || sparse);
    }
    plot.setRenderer(renderer);
    return chart;
  }
}
