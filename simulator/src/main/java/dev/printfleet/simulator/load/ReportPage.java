package dev.printfleet.simulator.load;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A run's report as one self-contained HTML page: the summary and line charts drawn as inline SVG
 * (no script, no network), so it opens anywhere and can be attached to an issue as it is.
 */
final class ReportPage {

  /** One line of a chart: points of (x, y). */
  record Series(String name, String color, List<double[]> points) {}

  private static final String[] COLORS = {
    "#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf"
  };

  private final StringBuilder body = new StringBuilder();

  ReportPage(String title, JsonObject summary) {
    body.append("<h1>")
        .append(escape(title))
        .append("</h1>\n<pre>")
        .append(escape(summary.encodePrettily()))
        .append("</pre>\n");
  }

  static String color(int i) {
    return COLORS[i % COLORS.length];
  }

  /** Points from a JSON array of objects: x from one field, y from another. */
  static List<double[]> points(JsonArray rows, String x, String y) {
    List<double[]> points = new ArrayList<>();
    for (Object row : rows) {
      JsonObject r = (JsonObject) row;
      if (r.getValue(x) instanceof Number xv && r.getValue(y) instanceof Number yv) {
        points.add(new double[] {xv.doubleValue(), yv.doubleValue()});
      }
    }
    return points;
  }

  ReportPage chart(String title, String xLabel, String yLabel, List<Series> series) {
    double maxX = 1;
    double maxY = 1;
    for (Series s : series) {
      for (double[] p : s.points()) {
        maxX = Math.max(maxX, p[0]);
        maxY = Math.max(maxY, p[1]);
      }
    }
    maxY = niceCeiling(maxY);
    int w = 900;
    int h = 300;
    int left = 70;
    int bottom = 40;
    int top = 30;
    int plotW = w - left - 20;
    int plotH = h - top - bottom;
    body.append("<h2>")
        .append(escape(title))
        .append("</h2>\n")
        .append(
            String.format(
                Locale.ROOT,
                "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
                    + "font-family=\"sans-serif\" font-size=\"12\">%n",
                w,
                h))
        .append(
            String.format(
                Locale.ROOT,
                "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"#fafafa\" stroke=\"#ccc\"/>%n",
                left,
                top,
                plotW,
                plotH));
    for (int i = 0; i <= 4; i++) {
      double y = top + plotH - plotH * i / 4.0;
      body.append(
          String.format(
              Locale.ROOT,
              "<line x1=\"%d\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#e5e5e5\"/>"
                  + "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%s</text>%n",
              left,
              left + plotW,
              y,
              y,
              left - 6,
              y + 4,
              label(maxY * i / 4)));
      double x = left + plotW * i / 4.0;
      body.append(
          String.format(
              Locale.ROOT,
              "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%s</text>%n",
              x,
              top + plotH + 16,
              label(maxX * i / 4)));
    }
    body.append(
        String.format(
            Locale.ROOT,
            "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">%s</text>%n",
            left + plotW / 2,
            h - 4,
            escape(xLabel)));
    body.append(
        String.format(
            Locale.ROOT,
            "<text x=\"14\" y=\"%d\" transform=\"rotate(-90 14 %d)\" text-anchor=\"middle\">%s</text>%n",
            top + plotH / 2,
            top + plotH / 2,
            escape(yLabel)));
    int legendX = left + 10;
    for (Series s : series) {
      var line = new StringBuilder();
      for (double[] p : s.points()) {
        line.append(
            String.format(
                Locale.ROOT,
                "%.1f,%.1f ",
                left + plotW * p[0] / maxX,
                top + plotH - plotH * p[1] / maxY));
      }
      body.append(
          String.format(
              Locale.ROOT,
              "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"1.5\" points=\"%s\"/>%n",
              s.color(),
              line.toString().trim()));
      body.append(
          String.format(
              Locale.ROOT,
              "<rect x=\"%d\" y=\"%d\" width=\"10\" height=\"10\" fill=\"%s\"/>"
                  + "<text x=\"%d\" y=\"%d\">%s</text>%n",
              legendX,
              8,
              s.color(),
              legendX + 14,
              17,
              escape(s.name())));
      legendX += 20 + 7 * s.name().length();
    }
    body.append("</svg>\n");
    return this;
  }

  /** A chart of a report's timeline: each line is a field of the timeline rows and its legend. */
  record Chart(String title, String yLabel, List<String[]> lines) {
    static Chart of(String title, String yLabel, String... fieldsAndLegends) {
      List<String[]> lines = new ArrayList<>();
      for (int i = 0; i + 1 < fieldsAndLegends.length; i += 2) {
        lines.add(new String[] {fieldsAndLegends[i], fieldsAndLegends[i + 1]});
      }
      return new Chart(title, yLabel, lines);
    }
  }

  /**
   * Writes the page of a JSON report next to it ({@code x.json} gives {@code x.html}): the summary,
   * the charts of its {@code timeline} and, when the run sampled services, their heap and CPU.
   */
  static Path writeBeside(Path jsonReport, String title, JsonObject report, List<Chart> charts)
      throws IOException {
    JsonObject summary = report.copy();
    summary.remove("timeline");
    summary.remove("services");
    var page = new ReportPage(title, summary);
    JsonArray timeline = report.getJsonArray("timeline", new JsonArray());
    for (Chart chart : charts) {
      List<Series> series = new ArrayList<>();
      for (String[] line : chart.lines()) {
        series.add(new Series(line[1], color(series.size()), points(timeline, "s", line[0])));
      }
      page.chart(chart.title(), "seconds since the measured run started", chart.yLabel(), series);
    }
    JsonObject services = report.getJsonObject("services", new JsonObject());
    List<Series> heaps = new ArrayList<>();
    List<Series> cpus = new ArrayList<>();
    for (String url : services.fieldNames()) {
      List<double[]> heap = new ArrayList<>();
      List<double[]> cpu = new ArrayList<>();
      for (Object p : services.getJsonObject(url).getJsonArray("series")) {
        JsonArray point = (JsonArray) p;
        heap.add(new double[] {point.getDouble(0), point.getDouble(1)});
        if (point.size() > 2 && point.getDouble(2) >= 0) {
          cpu.add(new double[] {point.getDouble(0), point.getDouble(2) * 100});
        }
      }
      heaps.add(new Series(url, color(heaps.size()), heap));
      cpus.add(new Series(url, color(cpus.size()), cpu));
    }
    if (!heaps.isEmpty()) {
      page.chart(
          "Heap used per service (from /metrics)", "seconds since sampling started", "MiB", heaps);
      page.chart(
          "CPU per service (process_cpu_usage, share of the whole machine)",
          "seconds since sampling started",
          "%",
          cpus);
    }
    String name = jsonReport.getFileName().toString();
    Path html =
        jsonReport.resolveSibling(
            (name.endsWith(".json") ? name.substring(0, name.length() - 5) : name) + ".html");
    Files.writeString(html, page.html());
    return html;
  }

  String html() {
    return "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>printfleet load report</title>"
        + "<style>body{font-family:sans-serif;margin:24px;color:#222}pre{background:#f4f4f4;padding:12px;"
        + "max-height:420px;overflow:auto;font-size:12px}</style></head><body>\n"
        + body
        + "</body></html>\n";
  }

  private static double niceCeiling(double v) {
    double magnitude = Math.pow(10, Math.floor(Math.log10(v)));
    for (double step : new double[] {1, 2, 2.5, 5, 10}) {
      if (step * magnitude >= v) {
        return step * magnitude;
      }
    }
    return 10 * magnitude;
  }

  private static String label(double v) {
    return v >= 100 || v == Math.rint(v)
        ? String.format(Locale.ROOT, "%.0f", v)
        : String.format(Locale.ROOT, "%.2f", v);
  }

  private static String escape(String text) {
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
  }
}
