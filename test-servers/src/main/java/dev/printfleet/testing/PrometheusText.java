package dev.printfleet.testing;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.OptionalLong;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A strict parser of the Prometheus text exposition format 0.0.4, for tests that read a service's
 * {@code GET /metrics}. Anything the format does not allow is refused with an {@link
 * IllegalArgumentException} naming the line, so a malformed scrape fails the test instead of
 * yielding a wrong value.
 *
 * @param types every family declared or sampled, with its type ({@code untyped} when undeclared)
 * @param help the HELP text of each family that has one
 */
public record PrometheusText(
    List<Sample> samples, Map<String, String> types, Map<String, String> help) {

  /** One sample line; {@code family} is its metric family, e.g. {@code x} for {@code x_bucket}. */
  public record Sample(
      String family,
      String name,
      Map<String, String> labels,
      double value,
      OptionalLong timestamp) {}

  private static final Pattern METRIC_NAME = Pattern.compile("[a-zA-Z_:][a-zA-Z0-9_:]*");
  private static final Pattern LABEL_NAME = Pattern.compile("[a-zA-Z_][a-zA-Z0-9_]*");
  private static final Pattern NUMBER =
      Pattern.compile("[+-]?(\\d+\\.?\\d*|\\.\\d+)([eE][+-]?\\d+)?");
  private static final Pattern TIMESTAMP = Pattern.compile("-?\\d{1,18}");
  private static final Pattern EDGE_BLANKS = Pattern.compile("^[ \t]+|[ \t]+$");
  private static final Set<String> TYPES =
      Set.of("counter", "gauge", "histogram", "summary", "untyped");
  private static final List<String> SUFFIXES = List.of("_bucket", "_sum", "_count", "_created");

  public PrometheusText {
    samples = List.copyOf(samples);
    types = Collections.unmodifiableMap(new LinkedHashMap<>(types));
    help = Collections.unmodifiableMap(new LinkedHashMap<>(help));
  }

  public static PrometheusText parse(String text) {
    return new Parser().parse(text);
  }

  public boolean hasFamily(String family) {
    return types.containsKey(family);
  }

  /** The samples with exactly this name, e.g. {@code requests_total} or {@code latency_bucket}. */
  public List<Sample> samples(String name) {
    return samples.stream().filter(s -> s.name().equals(name)).toList();
  }

  /** All samples of a family: for a histogram its buckets, sum, count and created. */
  public List<Sample> family(String family) {
    return samples.stream().filter(s -> s.family().equals(family)).toList();
  }

  /** The value of the one sample of this name whose labels include {@code labelSubset}. */
  public double value(String name, Map<String, String> labelSubset) {
    List<Sample> matching = matching(name, labelSubset);
    if (matching.isEmpty()) {
      throw new NoSuchElementException(
          "no sample " + name + labelSubset + "; samples of that name: " + samples(name));
    }
    if (matching.size() > 1) {
      throw new IllegalArgumentException(
          matching.size() + " samples match " + name + labelSubset + ": " + matching);
    }
    return matching.get(0).value();
  }

  /** The sum of the samples of this name whose labels include {@code labelSubset}; 0 if none. */
  public double sum(String name, Map<String, String> labelSubset) {
    return matching(name, labelSubset).stream().mapToDouble(Sample::value).sum();
  }

  private List<Sample> matching(String name, Map<String, String> labelSubset) {
    return samples(name).stream()
        .filter(s -> s.labels().entrySet().containsAll(labelSubset.entrySet()))
        .toList();
  }

  private static final class Parser {
    private final List<Sample> samples = new ArrayList<>();
    private final Map<String, String> types = new LinkedHashMap<>();
    private final Map<String, String> help = new LinkedHashMap<>();
    private final Set<String> sampleNames = new HashSet<>();
    private final Set<Map.Entry<String, Map<String, String>>> series = new HashSet<>();
    private final Set<String> finishedFamilies = new HashSet<>();
    private String currentFamily;
    private int lineNumber;

    PrometheusText parse(String text) {
      String[] lines = text.split("\n", -1);
      // Every line ends with a line feed, so the text after the last one must be empty.
      int complete = lines.length - 1;
      for (lineNumber = 1; lineNumber <= complete; lineNumber++) {
        String line = trimBlanks(lines[lineNumber - 1]);
        if (line.isEmpty()) {
          continue;
        }
        if (line.charAt(0) == '#') {
          comment(line);
        } else {
          sample(line);
        }
      }
      if (!lines[complete].isEmpty()) {
        throw fail("the last line does not end with a line feed");
      }
      Map<String, String> allTypes = new LinkedHashMap<>(types);
      samples.forEach(s -> allTypes.putIfAbsent(s.family(), "untyped"));
      return new PrometheusText(samples, allTypes, help);
    }

    private void comment(String line) {
      String[] parts = trimBlanks(line.substring(1)).split("[ \t]+", 3);
      if (!parts[0].equals("HELP") && !parts[0].equals("TYPE")) {
        return; // an ordinary comment
      }
      if (parts.length < 2 || !METRIC_NAME.matcher(parts[1]).matches()) {
        String got = parts.length < 2 ? "" : parts[1];
        throw fail(parts[0] + " line needs a valid metric name, got '" + got + "'");
      }
      String name = parts[1];
      String rest = parts.length == 3 ? parts[2] : "";
      if (parts[0].equals("HELP")) {
        if (help.put(name, unescape(rest, "\\n", "HELP text")) != null) {
          throw fail("second HELP line for " + name);
        }
        return;
      }
      if (!TYPES.contains(rest)) {
        throw fail("unknown type '" + rest + "' for " + name);
      }
      if (types.containsKey(name)) {
        throw fail("second TYPE line for " + name);
      }
      boolean sampled =
          sampleNames.contains(name)
              || ((rest.equals("histogram") || rest.equals("summary"))
                  && SUFFIXES.stream().anyMatch(suffix -> sampleNames.contains(name + suffix)));
      if (sampled) {
        throw fail("TYPE line for " + name + " comes after its samples");
      }
      types.put(name, rest);
    }

    private void sample(String line) {
      Matcher nameMatch = METRIC_NAME.matcher(line);
      if (!nameMatch.lookingAt()) {
        throw fail("invalid metric name at the start of '" + line + "'");
      }
      String name = nameMatch.group();
      int i = nameMatch.end();
      Map<String, String> labels = new LinkedHashMap<>();
      if (i < line.length() && line.charAt(i) == '{') {
        i = labels(line, i + 1, labels);
      }
      if (i >= line.length() || (line.charAt(i) != ' ' && line.charAt(i) != '\t')) {
        throw fail(
            i >= line.length()
                ? "sample " + name + " has no value"
                : "unexpected '" + line.charAt(i) + "' after " + name);
      }
      String[] tokens = trimBlanks(line.substring(i)).split("[ \t]+");
      if (tokens.length > 2) {
        throw fail("sample " + name + " has more than a value and a timestamp");
      }
      double value = value(tokens[0]);
      OptionalLong timestamp =
          tokens.length == 2 ? OptionalLong.of(timestamp(tokens[1])) : OptionalLong.empty();
      String family = familyOf(name);
      if ("histogram".equals(types.get(family)) && name.equals(family)) {
        throw fail("histogram sample " + name + " lacks a _bucket, _sum or _count suffix");
      }
      if (name.equals(family + "_bucket") && !labels.containsKey("le")) {
        throw fail("histogram bucket " + name + " has no le label");
      }
      if (!family.equals(currentFamily)) {
        if (finishedFamilies.contains(family)) {
          throw fail("samples of " + family + " are not in one group");
        }
        if (currentFamily != null) {
          finishedFamilies.add(currentFamily);
        }
        currentFamily = family;
      }
      Map<String, String> frozen = Collections.unmodifiableMap(labels);
      if (!series.add(Map.entry(name, frozen))) {
        throw fail("duplicate series " + name + labels);
      }
      sampleNames.add(name);
      samples.add(new Sample(family, name, frozen, value, timestamp));
    }

    /** Reads the label pairs after an opening brace; returns the index after the closing brace. */
    private int labels(String line, int i, Map<String, String> labels) {
      while (true) {
        i = skipBlanks(line, i);
        if (i < line.length() && line.charAt(i) == '}') {
          return i + 1;
        }
        Matcher label = LABEL_NAME.matcher(line).region(i, line.length());
        if (!label.lookingAt()) {
          throw fail("invalid label name at column " + (i + 1));
        }
        i = skipBlanks(line, label.end());
        if (!line.startsWith("=", i)) {
          throw fail("expected '=' after label " + label.group());
        }
        i = skipBlanks(line, i + 1);
        if (!line.startsWith("\"", i)) {
          throw fail("expected '\"' to open the value of label " + label.group());
        }
        int close = i + 1;
        while (close < line.length() && line.charAt(close) != '"') {
          close += line.charAt(close) == '\\' ? 2 : 1;
        }
        if (close >= line.length()) {
          throw fail("unterminated value of label " + label.group());
        }
        String value = unescape(line.substring(i + 1, close), "\\\"n", "label " + label.group());
        if (labels.put(label.group(), value) != null) {
          throw fail("label " + label.group() + " appears twice");
        }
        i = skipBlanks(line, close + 1);
        if (line.startsWith(",", i)) {
          i++;
        } else if (!line.startsWith("}", i)) {
          throw fail("expected ',' or '}' after the value of label " + label.group());
        }
      }
    }

    private String familyOf(String name) {
      if (types.containsKey(name)) {
        return name;
      }
      for (String suffix : SUFFIXES) {
        if (name.endsWith(suffix)) {
          String base = name.substring(0, name.length() - suffix.length());
          String type = types.get(base);
          if ("histogram".equals(type) || ("summary".equals(type) && !suffix.equals("_bucket"))) {
            return base;
          }
        }
      }
      return name;
    }

    private double value(String token) {
      return switch (token) {
        case "NaN" -> Double.NaN;
        case "+Inf" -> Double.POSITIVE_INFINITY;
        case "-Inf" -> Double.NEGATIVE_INFINITY;
        default -> {
          if (!NUMBER.matcher(token).matches()) {
            throw fail("value '" + token + "' is not a number");
          }
          yield Double.parseDouble(token);
        }
      };
    }

    private long timestamp(String token) {
      if (!TIMESTAMP.matcher(token).matches()) {
        throw fail("timestamp '" + token + "' is not a whole number of milliseconds");
      }
      return Long.parseLong(token);
    }

    /** Resolves backslash escapes; {@code allowed} lists what may follow a backslash. */
    private String unescape(String text, String allowed, String where) {
      StringBuilder out = new StringBuilder();
      for (int i = 0; i < text.length(); i++) {
        char c = text.charAt(i);
        if (c == '\\') {
          c = ++i < text.length() ? text.charAt(i) : ' ';
          if (allowed.indexOf(c) < 0) {
            throw fail("invalid escape '\\" + c + "' in " + where);
          }
          c = c == 'n' ? '\n' : c;
        }
        out.append(c);
      }
      return out.toString();
    }

    private IllegalArgumentException fail(String problem) {
      return new IllegalArgumentException("line " + lineNumber + ": " + problem);
    }

    private static int skipBlanks(String line, int i) {
      while (i < line.length() && (line.charAt(i) == ' ' || line.charAt(i) == '\t')) {
        i++;
      }
      return i;
    }

    private static String trimBlanks(String s) {
      return EDGE_BLANKS.matcher(s).replaceAll("");
    }
  }
}
