package dev.printfleet.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.entry;

import dev.printfleet.testing.PrometheusText.Sample;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import org.junit.jupiter.api.Test;

class PrometheusTextTest {

  /** The example of the exposition format documentation, plus a gauge with special values. */
  private static final String DOCUMENT =
      """
      # HELP http_requests_total The total number of HTTP requests.
      # TYPE http_requests_total counter
      http_requests_total{method="post",code="200"} 1027 1395066363000
      http_requests_total{method="post",code="400"}    3 1395066363000

      # Escaping in label values:
      msdos_file_access_time_seconds{path="C:\\\\DIR\\\\FILE.TXT",error="Cannot find file:\\n\\"FILE.TXT\\""} 1.458255915e9

      # Minimalistic line:
      metric_without_timestamp_and_labels 12.47

      # A weird metric from before the epoch:
      something_weird{problem="division by zero"} +Inf -3982045

      # HELP http_request_duration_seconds A histogram\\nof the request duration, in \\\\s.
      # TYPE http_request_duration_seconds histogram
      http_request_duration_seconds_bucket{le="0.05"} 24054
      http_request_duration_seconds_bucket{le="0.1"} 33444
      http_request_duration_seconds_bucket{le="+Inf"} 144320
      http_request_duration_seconds_sum 53423
      http_request_duration_seconds_count 144320

      # TYPE rpc_duration_seconds summary
      rpc_duration_seconds{quantile="0.01"} 3102
      rpc_duration_seconds{quantile="0.5"} 4773
      rpc_duration_seconds_sum 1.7560473e+07
      rpc_duration_seconds_count 2693

      # TYPE temperature gauge
      temperature{room="a"} NaN
      temperature{room="b"} -Inf
      temperature{ room = "c" , } -1.5E-3
      temperature{} 0
      """;

  @Test
  void validDocumentGivesEverySampleWithItsValueAndLabels() {
    PrometheusText text = PrometheusText.parse(DOCUMENT);

    assertThat(text.samples()).hasSize(18);
    assertThat(text.value("http_requests_total", Map.of("code", "400"))).isEqualTo(3.0);
    assertThat(text.samples("http_requests_total").get(0).labels())
        .containsExactly(entry("method", "post"), entry("code", "200"));
    assertThat(text.samples("http_requests_total").get(0).timestamp()).hasValue(1395066363000L);
    assertThat(text.samples("metric_without_timestamp_and_labels").get(0))
        .satisfies(s -> assertThat(s.labels()).isEmpty())
        .satisfies(s -> assertThat(s.timestamp()).isEmpty());
    assertThat(text.value("metric_without_timestamp_and_labels", Map.of())).isEqualTo(12.47);
    assertThat(text.samples("something_weird").get(0).timestamp()).hasValue(-3982045L);
  }

  @Test
  void escapesInLabelValuesAndHelpTextAreResolved() {
    PrometheusText text = PrometheusText.parse(DOCUMENT);

    Sample msdos = text.samples("msdos_file_access_time_seconds").get(0);
    assertThat(msdos.labels())
        .containsEntry("path", "C:\\DIR\\FILE.TXT")
        .containsEntry("error", "Cannot find file:\n\"FILE.TXT\"");
    assertThat(text.help())
        .containsEntry("http_requests_total", "The total number of HTTP requests.")
        .containsEntry(
            "http_request_duration_seconds", "A histogram\nof the request duration, in \\s.");
  }

  @Test
  void specialAndScientificValuesAreRead() {
    PrometheusText text = PrometheusText.parse(DOCUMENT);

    assertThat(text.value("temperature", Map.of("room", "a"))).isNaN();
    assertThat(text.value("temperature", Map.of("room", "b"))).isEqualTo(Double.NEGATIVE_INFINITY);
    assertThat(text.value("temperature", Map.of("room", "c"))).isEqualTo(-0.0015);
    assertThat(text.value("something_weird", Map.of())).isEqualTo(Double.POSITIVE_INFINITY);
    assertThat(text.value("msdos_file_access_time_seconds", Map.of())).isEqualTo(1.458255915e9);
    assertThat(text.value("rpc_duration_seconds_sum", Map.of())).isEqualTo(1.7560473e7);
  }

  @Test
  void histogramAndSummarySuffixesBelongToTheirFamily() {
    PrometheusText text = PrometheusText.parse(DOCUMENT);

    assertThat(text.types())
        .containsEntry("http_requests_total", "counter")
        .containsEntry("http_request_duration_seconds", "histogram")
        .containsEntry("rpc_duration_seconds", "summary")
        .containsEntry("temperature", "gauge")
        .containsEntry("metric_without_timestamp_and_labels", "untyped")
        .doesNotContainKeys("http_request_duration_seconds_bucket", "rpc_duration_seconds_sum");
    assertThat(text.family("http_request_duration_seconds"))
        .extracting(Sample::name)
        .containsExactly(
            "http_request_duration_seconds_bucket",
            "http_request_duration_seconds_bucket",
            "http_request_duration_seconds_bucket",
            "http_request_duration_seconds_sum",
            "http_request_duration_seconds_count");
    assertThat(text.family("rpc_duration_seconds")).hasSize(4);
    assertThat(text.hasFamily("http_request_duration_seconds")).isTrue();
    assertThat(text.hasFamily("http_request_duration_seconds_bucket")).isFalse();
    assertThat(text.value("http_request_duration_seconds_bucket", Map.of("le", "+Inf")))
        .isEqualTo(144320.0);
  }

  @Test
  void valueRefusesAnAmbiguousOrMissingSeriesAndSumAddsThemUp() {
    PrometheusText text = PrometheusText.parse(DOCUMENT);

    assertThatThrownBy(() -> text.value("http_requests_total", Map.of("method", "post")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("2 samples match");
    assertThatThrownBy(() -> text.value("http_requests_total", Map.of("code", "500")))
        .isInstanceOf(NoSuchElementException.class)
        .hasMessageContaining("no sample http_requests_total");
    assertThat(text.sum("http_requests_total", Map.of("method", "post"))).isEqualTo(1030.0);
    assertThat(text.sum("http_requests_total", Map.of("method", "get"))).isZero();
  }

  @Test
  void modelCannotBeChanged() {
    PrometheusText text = PrometheusText.parse(DOCUMENT);

    assertThatThrownBy(() -> text.samples().clear())
        .isInstanceOf(UnsupportedOperationException.class);
    assertThatThrownBy(() -> text.samples().get(0).labels().put("x", "y"))
        .isInstanceOf(UnsupportedOperationException.class);
    assertThatThrownBy(() -> text.types().put("x", "gauge"))
        .isInstanceOf(UnsupportedOperationException.class);
  }

  @Test
  void emptyDocumentAndCommentsOnlyGiveNoSamples() {
    assertThat(PrometheusText.parse("").samples()).isEmpty();
    PrometheusText comments = PrometheusText.parse("# just a comment\n#\n\n   \n");
    assertThat(comments.samples()).isEmpty();
    assertThat(comments.types()).isEmpty();
  }

  @Test
  void invalidMetricNameIsRefused() {
    assertRefused("ok 1\n1abc 3\n", 2, "invalid metric name");
    assertRefused("ok 1\nok2 2\nfoo-bar 3\n", 3, "unexpected '-' after foo");
    assertRefused("# TYPE 9lives gauge\n", 1, "valid metric name");
  }

  @Test
  void invalidLabelNameIsRefused() {
    assertRefused("ok 1\nfoo{1a=\"x\"} 1\n", 2, "invalid label name");
    assertRefused("ok 1\nfoo{a:b=\"x\"} 1\n", 2, "expected '=' after label a");
  }

  @Test
  void unterminatedLabelValueIsRefused() {
    assertRefused("ok 1\nfoo{a=\"x} 1\n", 2, "unterminated value of label a");
    assertRefused("ok 1\nfoo{a=\"x\\\"} 1\n", 2, "unterminated value of label a");
    assertRefused("ok 1\nfoo{a=x} 1\n", 2, "to open the value of label a");
    assertRefused("ok 1\nfoo{a=\"x\" b=\"y\"} 1\n", 2, "expected ',' or '}'");
  }

  @Test
  void unknownEscapeIsRefused() {
    assertRefused("ok 1\nfoo{a=\"tab\\there\"} 1\n", 2, "invalid escape '\\t'");
    assertRefused("ok 1\n# HELP foo say \\\"hi\\\"\n", 2, "invalid escape '\\\"' in HELP text");
  }

  @Test
  void typeAfterItsSamplesIsRefused() {
    assertRefused("foo 1\n# TYPE foo gauge\n", 2, "TYPE line for foo comes after its samples");
    assertRefused(
        "lat_bucket{le=\"1\"} 1\n# TYPE lat histogram\n", 2, "TYPE line for lat comes after");
  }

  @Test
  void secondTypeOrHelpForOneFamilyIsRefused() {
    assertRefused("# TYPE foo gauge\nfoo 1\n# TYPE foo gauge\n", 3, "second TYPE line for foo");
    assertRefused("# HELP foo a\n# HELP foo b\n", 2, "second HELP line for foo");
  }

  @Test
  void unknownTypeIsRefused() {
    assertRefused("# TYPE foo meter\n", 1, "unknown type 'meter'");
  }

  @Test
  void duplicateSeriesIsRefusedWhateverTheLabelOrder() {
    assertRefused("foo{a=\"1\",b=\"2\"} 1\nfoo{b=\"2\",a=\"1\"} 2\n", 2, "duplicate series foo");
    assertRefused("foo 1\nfoo 2\n", 2, "duplicate series foo");
    assertRefused("foo{a=\"1\",a=\"2\"} 1\n", 1, "label a appears twice");
  }

  @Test
  void nonNumericValueIsRefused() {
    assertRefused("ok 1\nfoo abc\n", 2, "value 'abc' is not a number");
    // Double.parseDouble would take these; the format does not.
    assertRefused("ok 1\nfoo Infinity\n", 2, "is not a number");
    assertRefused("ok 1\nfoo 0x1p3\n", 2, "is not a number");
    assertRefused("ok 1\nfoo 1d\n", 2, "is not a number");
    assertRefused("ok 1\nfoo\n", 2, "sample foo has no value");
  }

  @Test
  void badTimestampOrExtraTokenIsRefused() {
    assertRefused("ok 1\nfoo 1 1.5\n", 2, "timestamp '1.5'");
    assertRefused("ok 1\nfoo 1 99999999999999999999\n", 2, "timestamp");
    assertRefused("ok 1\nfoo 1 2 3\n", 2, "more than a value and a timestamp");
  }

  @Test
  void missingFinalLineFeedIsRefused() {
    assertRefused("ok 1\nfoo 2", 2, "does not end with a line feed");
  }

  @Test
  void familySplitIntoTwoGroupsIsRefused() {
    assertRefused("foo{a=\"1\"} 1\nbar 1\nfoo{a=\"2\"} 2\n", 3, "foo are not in one group");
  }

  @Test
  void histogramSamplesNeedTheirSuffixAndBucketsAnLeLabel() {
    assertRefused("# TYPE lat histogram\nlat_bucket 1\n", 2, "has no le label");
    assertRefused("# TYPE lat histogram\nlat 1\n", 2, "lacks a _bucket, _sum or _count suffix");
  }

  @Test
  void samplesWithTheSameNameAreListedInOrder() {
    List<Sample> samples = PrometheusText.parse(DOCUMENT).samples("temperature");
    assertThat(samples)
        .extracting(s -> s.labels().get("room"))
        .containsExactly("a", "b", "c", null);
  }

  private static void assertRefused(String document, int line, String problem) {
    assertThatThrownBy(() -> PrometheusText.parse(document))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("line " + line + ": ")
        .hasMessageContaining(problem);
  }
}
