package dev.printfleet.common.config;

import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Typed, validated reads of environment variables. Every read either returns a usable value or
 * throws a {@link ConfigException} naming the variable and what was wrong with it, so a service
 * fails at start with one clear line and never later.
 */
public final class Settings {

  private static final Pattern DURATION = Pattern.compile("(\\d+)\\s*(ms|s|m|h|d)?");

  private final Map<String, String> env;

  public Settings(Map<String, String> env) {
    this.env = Map.copyOf(env);
  }

  public static Settings fromEnvironment() {
    return new Settings(System.getenv());
  }

  /** The value, trimmed, or empty when the variable is unset or blank. */
  public Optional<String> optional(String name) {
    String value = env.get(name);
    if (value == null || value.isBlank()) {
      return Optional.empty();
    }
    return Optional.of(value.trim());
  }

  public String string(String name, String defaultValue) {
    return optional(name).orElse(defaultValue);
  }

  public String required(String name, String hint) {
    return optional(name).orElseThrow(() -> new ConfigException(name, "is not set; " + hint));
  }

  public int integer(String name, int defaultValue, int min, int max) {
    Optional<String> raw = optional(name);
    if (raw.isEmpty()) {
      return defaultValue;
    }
    try {
      int value = Integer.parseInt(raw.get());
      if (value < min || value > max) {
        throw outOfRange(name, raw.get(), min, max);
      }
      return value;
    } catch (NumberFormatException e) {
      throw new ConfigException(
          name,
          "must be a whole number between " + min + " and " + max + ", got '" + raw.get() + "'");
    }
  }

  public int port(String name, int defaultValue) {
    Optional<String> raw = optional(name);
    if (raw.isEmpty()) {
      return defaultValue;
    }
    try {
      int value = Integer.parseInt(raw.get());
      if (value < 0 || value > 65535) {
        throw new ConfigException(name, "must be a port number (0-65535), got '" + raw.get() + "'");
      }
      return value;
    } catch (NumberFormatException e) {
      throw new ConfigException(name, "must be a port number (0-65535), got '" + raw.get() + "'");
    }
  }

  public boolean bool(String name, boolean defaultValue) {
    Optional<String> raw = optional(name);
    if (raw.isEmpty()) {
      return defaultValue;
    }
    return switch (raw.get().toLowerCase(Locale.ROOT)) {
      case "true", "yes", "1", "on" -> true;
      case "false", "no", "0", "off" -> false;
      default -> throw new ConfigException(name, "must be true or false, got '" + raw.get() + "'");
    };
  }

  /**
   * A duration written as a number with an optional unit: {@code 250ms}, {@code 5s}, {@code 10m},
   * {@code 24h}, {@code 7d}. A bare number is in milliseconds.
   */
  public Duration duration(String name, Duration defaultValue) {
    Optional<String> raw = optional(name);
    if (raw.isEmpty()) {
      return defaultValue;
    }
    Matcher m = DURATION.matcher(raw.get().toLowerCase(Locale.ROOT));
    if (!m.matches()) {
      throw new ConfigException(
          name, "must be a duration such as 500ms, 5s, 10m or 24h, got '" + raw.get() + "'");
    }
    String unit = m.group(2) == null ? "ms" : m.group(2);
    try {
      long amount = Long.parseLong(m.group(1));
      return switch (unit) {
        case "ms" -> Duration.ofMillis(amount);
        case "s" -> Duration.ofSeconds(amount);
        case "m" -> Duration.ofMinutes(amount);
        case "h" -> Duration.ofHours(amount);
        default -> Duration.ofDays(amount);
      };
    } catch (NumberFormatException | ArithmeticException e) {
      throw tooLarge(name, raw.get());
    }
  }

  /** A byte size: a number with an optional unit, {@code 1048576}, {@code 512KiB}, {@code 1MiB}. */
  public long bytes(String name, long defaultValue) {
    Optional<String> raw = optional(name);
    if (raw.isEmpty()) {
      return defaultValue;
    }
    Matcher m =
        Pattern.compile("(\\d+)\\s*(b|kb|kib|k|mb|mib|m)?")
            .matcher(raw.get().toLowerCase(Locale.ROOT));
    if (!m.matches()) {
      throw new ConfigException(
          name, "must be a size such as 1048576, 512KiB or 1MiB, got '" + raw.get() + "'");
    }
    String unit = m.group(2) == null ? "b" : m.group(2);
    try {
      long amount = Long.parseLong(m.group(1));
      return switch (unit) {
        case "kb", "kib", "k" -> Math.multiplyExact(amount, 1024L);
        case "mb", "mib", "m" -> Math.multiplyExact(amount, 1024L * 1024);
        default -> amount;
      };
    } catch (NumberFormatException | ArithmeticException e) {
      throw tooLarge(name, raw.get());
    }
  }

  /** A comma-separated list; empty when unset. */
  public List<String> list(String name) {
    return optional(name)
        .map(v -> Arrays.stream(v.split(",")).map(String::trim).filter(s -> !s.isEmpty()).toList())
        .orElse(List.of());
  }

  public <E extends Enum<E>> E enumValue(String name, Class<E> type, E defaultValue) {
    Optional<String> raw = optional(name);
    if (raw.isEmpty()) {
      return defaultValue;
    }
    try {
      return Enum.valueOf(type, raw.get().toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new ConfigException(
          name,
          "must be one of "
              + Arrays.toString(type.getEnumConstants()).toLowerCase(Locale.ROOT)
              + ", got '"
              + raw.get()
              + "'");
    }
  }

  private static ConfigException tooLarge(String name, String raw) {
    return new ConfigException(name, "is too large, got '" + raw + "'");
  }

  private static ConfigException outOfRange(String name, String raw, int min, int max) {
    return new ConfigException(
        name, "must be a whole number between " + min + " and " + max + ", got '" + raw + "'");
  }
}
