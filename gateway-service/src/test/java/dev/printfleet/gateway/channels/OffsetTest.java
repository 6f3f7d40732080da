package dev.printfleet.gateway.channels;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.NullSource;
import org.junit.jupiter.params.provider.ValueSource;

class OffsetTest {

  @Test
  void readsBothNumbersOfAStreamId() {
    assertThat(Offset.parse("1733580000123-7")).isEqualTo(new Offset(1733580000123L, 7));
    assertThat(Offset.parse("0-0")).isEqualTo(new Offset(0, 0));
    assertThat(Offset.parse("9223372036854775807-9223372036854775807"))
        .isEqualTo(new Offset(Long.MAX_VALUE, Long.MAX_VALUE));
  }

  @ParameterizedTest
  @NullSource
  @ValueSource(
      strings = {
        "",
        "-",
        "12",
        "12-",
        "-12",
        "1-2-3",
        "+1-2",
        "1-+2",
        "1--2",
        " 1-2",
        "1-2 ",
        "1x-2",
        "١-2", // an Arabic-Indic digit, which Long.parseLong would read
        "12345678901234567890-1", // 20 digits
        "9223372036854775808-0", // past Long.MAX_VALUE
        "1-9223372036854775808"
      })
  void namesNoOffsetForAnythingElse(String text) {
    assertThat(Offset.parse(text)).isNull();
  }

  @Test
  void ordersAsNumbersNotAsText() {
    assertThat(Offset.parse("9-5")).isLessThan(Offset.parse("10-0"));
    assertThat(Offset.parse("10-2")).isLessThan(Offset.parse("10-10"));
    assertThat(Offset.parse("10-10").toString()).isEqualTo("10-10");
  }
}
