package dev.printfleet.common.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class SettingsTest {

  private enum Colour {
    RED,
    DARK_BLUE
  }

  private static Settings with(String name, String value) {
    return new Settings(Map.of(name, value));
  }

  private static final Settings EMPTY = new Settings(Map.of());
  private static final Settings BLANK = with("X", "   ");

  private static void assertRefused(Runnable read, String name, String badValue) {
    assertThatThrownBy(read::run)
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith(name + " ")
        .hasMessageContaining("'" + badValue + "'")
        .satisfies(e -> assertThat(((ConfigException) e).variable()).isEqualTo(name));
  }

  @Test
  void optionalTrimsAndTreatsBlankAsUnset() {
    assertThat(with("X", "  value ").optional("X")).hasValue("value");
    assertThat(BLANK.optional("X")).isEmpty();
    assertThat(EMPTY.optional("X")).isEmpty();
    assertThat(BLANK.string("X", "fallback")).isEqualTo("fallback");
  }

  @Test
  void requiredNamesTheVariableAndTheHintWhenUnset() {
    assertThat(with("X", "v").required("X", "set it")).isEqualTo("v");
    assertThatThrownBy(() -> BLANK.required("X", "set it to the thing"))
        .isInstanceOf(ConfigException.class)
        .hasMessage("X is not set; set it to the thing");
  }

  @Test
  void integerAcceptsValuesInsideTheRangeIncludingItsEnds() {
    assertThat(with("N", "1").integer("N", 5, 1, 99)).isEqualTo(1);
    assertThat(with("N", " 99 ").integer("N", 5, 1, 99)).isEqualTo(99);
    assertThat(EMPTY.integer("N", 5, 1, 99)).isEqualTo(5);
    assertThat(with("N", "").integer("N", 5, 1, 99)).isEqualTo(5);
  }

  @ParameterizedTest
  @ValueSource(strings = {"0", "100", "-3", "ten", "1.5", "99999999999"})
  void integerOutsideTheRangeOrNotANumberIsRefused(String bad) {
    assertRefused(() -> with("N", bad).integer("N", 5, 1, 99), "N", bad);
  }

  @Test
  void portAcceptsZeroToSixtyFiveThousandFiveHundredThirtyFive() {
    assertThat(with("P", "0").port("P", 8080)).isZero();
    assertThat(with("P", "65535").port("P", 8080)).isEqualTo(65535);
    assertThat(BLANK.port("X", 8080)).isEqualTo(8080);
  }

  @ParameterizedTest
  @ValueSource(strings = {"-1", "65536", "http", "80a"})
  void badPortIsRefused(String bad) {
    assertRefused(() -> with("P", bad).port("P", 8080), "P", bad);
  }

  @Test
  void boolAcceptsTheUsualSpellingsInAnyCase() {
    for (String yes : new String[] {"true", "TRUE", "yes", "1", "On"}) {
      assertThat(with("B", yes).bool("B", false)).as(yes).isTrue();
    }
    for (String no : new String[] {"false", "No", "0", "OFF"}) {
      assertThat(with("B", no).bool("B", true)).as(no).isFalse();
    }
    assertThat(EMPTY.bool("B", true)).isTrue();
    assertThat(BLANK.bool("X", false)).isFalse();
  }

  @Test
  void badBoolIsRefused() {
    assertRefused(() -> with("B", "maybe").bool("B", false), "B", "maybe");
  }

  @Test
  void durationReadsEveryUnitAndBareMilliseconds() {
    assertThat(with("D", "250").duration("D", Duration.ZERO)).isEqualTo(Duration.ofMillis(250));
    assertThat(with("D", "250ms").duration("D", Duration.ZERO)).isEqualTo(Duration.ofMillis(250));
    assertThat(with("D", "5s").duration("D", Duration.ZERO)).isEqualTo(Duration.ofSeconds(5));
    assertThat(with("D", "10 m").duration("D", Duration.ZERO)).isEqualTo(Duration.ofMinutes(10));
    assertThat(with("D", "24H").duration("D", Duration.ZERO)).isEqualTo(Duration.ofHours(24));
    assertThat(with("D", "7d").duration("D", Duration.ZERO)).isEqualTo(Duration.ofDays(7));
    assertThat(BLANK.duration("X", Duration.ofSeconds(3))).isEqualTo(Duration.ofSeconds(3));
  }

  @ParameterizedTest
  @ValueSource(
      strings = {"5 sec", "1.5s", "-5s", "s", "5w", "99999999999999999999s", "9999999999999999d"})
  void badDurationIsRefused(String bad) {
    assertRefused(() -> with("D", bad).duration("D", Duration.ZERO), "D", bad);
  }

  @Test
  void bytesReadsEveryUnit() {
    assertThat(with("S", "1048576").bytes("S", 0)).isEqualTo(1_048_576L);
    assertThat(with("S", "100b").bytes("S", 0)).isEqualTo(100L);
    assertThat(with("S", "512KiB").bytes("S", 0)).isEqualTo(512L * 1024);
    assertThat(with("S", "2kb").bytes("S", 0)).isEqualTo(2048L);
    assertThat(with("S", "3k").bytes("S", 0)).isEqualTo(3072L);
    assertThat(with("S", "1MiB").bytes("S", 0)).isEqualTo(1_048_576L);
    assertThat(with("S", "2 MB").bytes("S", 0)).isEqualTo(2L * 1_048_576);
    assertThat(with("S", "4m").bytes("S", 0)).isEqualTo(4L * 1_048_576);
    assertThat(BLANK.bytes("X", 42)).isEqualTo(42L);
  }

  @ParameterizedTest
  @ValueSource(
      strings = {"1.5MiB", "1GiB", "-1", "lots", "99999999999999999999", "9999999999999999MiB"})
  void badSizeIsRefused(String bad) {
    assertRefused(() -> with("S", bad).bytes("S", 0), "S", bad);
  }

  @Test
  void listSplitsOnCommasAndDropsBlankItems() {
    assertThat(with("L", " a, b ,,c ,").list("L")).containsExactly("a", "b", "c");
    assertThat(with("L", "single").list("L")).containsExactly("single");
    assertThat(EMPTY.list("L")).isEmpty();
    assertThat(BLANK.list("X")).isEmpty();
  }

  @Test
  void enumValueIgnoresCaseAndFallsBackToTheDefault() {
    assertThat(with("E", "red").enumValue("E", Colour.class, Colour.DARK_BLUE))
        .isEqualTo(Colour.RED);
    assertThat(with("E", "Dark_Blue").enumValue("E", Colour.class, Colour.RED))
        .isEqualTo(Colour.DARK_BLUE);
    assertThat(BLANK.enumValue("X", Colour.class, Colour.RED)).isEqualTo(Colour.RED);
  }

  @Test
  void badEnumValueIsRefusedListingTheChoices() {
    assertRefused(() -> with("E", "green").enumValue("E", Colour.class, Colour.RED), "E", "green");
    assertThatThrownBy(() -> with("E", "green").enumValue("E", Colour.class, Colour.RED))
        .hasMessageContaining("[red, dark_blue]");
  }
}
