package dev.printfleet.common.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class CommonSettingsTest {

  private static final String SECRET = JwtSettingsTest.SECRET;

  private static CommonSettings read(Map<String, String> extra) {
    var env = new HashMap<String, String>(Map.of("PRINTFLEET_JWT_SECRET", SECRET));
    env.putAll(extra);
    return CommonSettings.from(new Settings(env), "gateway", 8080);
  }

  @Test
  void defaultsNeedOnlyTheJwtSecret() {
    CommonSettings common = read(Map.of());

    assertThat(common.service()).isEqualTo("gateway");
    assertThat(common.instanceId()).matches("gateway-[0-9a-f]{8}");
    assertThat(common.httpHost()).isEqualTo("0.0.0.0");
    assertThat(common.httpPort()).isEqualTo(8080);
    assertThat(common.eventBus().host()).isEqualTo("127.0.0.1");
    assertThat(common.eventBus().port()).isZero();
    assertThat(common.eventBus().publicHost()).isEmpty();
    assertThat(common.eventBus().publicPort()).isEmpty();
    assertThat(common.redis().endpoints()).containsExactly("redis://127.0.0.1:6379");
    assertThat(common.jwt().algorithm()).isEqualTo("HS256");
    assertThat(common.heartbeatInterval()).isEqualTo(Duration.ofSeconds(5));
    assertThat(common.drainDelay()).isEqualTo(Duration.ofSeconds(5));
    assertThat(common.shutdownTimeout()).isEqualTo(Duration.ofSeconds(25));
  }

  @Test
  void twoReadsGiveDifferentInstanceIds() {
    assertThat(read(Map.of()).instanceId()).isNotEqualTo(read(Map.of()).instanceId());
  }

  @Test
  void everySettingCanBeOverridden() {
    CommonSettings common =
        read(
            Map.of(
                "PRINTFLEET_INSTANCE_ID", "gw-1.pod_a",
                "PRINTFLEET_HTTP_HOST", "127.0.0.1",
                "PRINTFLEET_HTTP_PORT", "9090",
                "PRINTFLEET_EVENTBUS_HOST", "10.0.0.7",
                "PRINTFLEET_EVENTBUS_PORT", "5701",
                "PRINTFLEET_EVENTBUS_PUBLIC_HOST", "gw.example.com",
                "PRINTFLEET_EVENTBUS_PUBLIC_PORT", "15701",
                "PRINTFLEET_HEARTBEAT_INTERVAL", "2s",
                "PRINTFLEET_DRAIN_DELAY", "0",
                "PRINTFLEET_SHUTDOWN_TIMEOUT", "1m"));

    assertThat(common.instanceId()).isEqualTo("gw-1.pod_a");
    assertThat(common.httpHost()).isEqualTo("127.0.0.1");
    assertThat(common.httpPort()).isEqualTo(9090);
    assertThat(common.eventBus().host()).isEqualTo("10.0.0.7");
    assertThat(common.eventBus().port()).isEqualTo(5701);
    assertThat(common.eventBus().publicHost()).hasValue("gw.example.com");
    assertThat(common.eventBus().publicPort()).hasValue(15701);
    assertThat(common.heartbeatInterval()).isEqualTo(Duration.ofSeconds(2));
    assertThat(common.drainDelay()).isZero();
    assertThat(common.shutdownTimeout()).isEqualTo(Duration.ofMinutes(1));
  }

  @Test
  void instanceIdWithOtherCharactersIsRefused() {
    assertThatThrownBy(() -> read(Map.of("PRINTFLEET_INSTANCE_ID", "gw 1/a")))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("PRINTFLEET_INSTANCE_ID ")
        .hasMessageContaining("'gw 1/a'");
  }

  @Test
  void badHttpPortIsRefused() {
    assertThatThrownBy(() -> read(Map.of("PRINTFLEET_HTTP_PORT", "80800")))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("PRINTFLEET_HTTP_PORT ")
        .hasMessageContaining("'80800'");
  }

  @Test
  void missingJwtSecretStopsTheWholeRead() {
    assertThatThrownBy(() -> CommonSettings.from(new Settings(Map.of()), "printing", 8081))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("PRINTFLEET_JWT_SECRET ");
  }

  @Test
  void toStringNeverShowsTheSecretOrThePassword() {
    CommonSettings common = read(Map.of("REDIS_CONNECTION_PASSWORD", "s3cret-pw"));

    assertThat(common.toString())
        .doesNotContain(SECRET)
        .doesNotContain("s3cret-pw")
        .contains("gateway");
  }
}
