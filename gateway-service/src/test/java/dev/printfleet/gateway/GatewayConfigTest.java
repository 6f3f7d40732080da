package dev.printfleet.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.printfleet.common.config.ConfigException;
import dev.printfleet.common.config.Settings;
import dev.printfleet.gateway.GatewayConfig.ChannelHistory;
import dev.printfleet.gateway.fanout.RoomPolicy;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class GatewayConfigTest {

  private static GatewayConfig.ChannelHistories histories(Map<String, String> env) {
    return GatewayConfig.histories(new Settings(env), RoomPolicy.DEFAULT);
  }

  @Test
  void aNamespaceMayKeepAHistoryOfItsOwnAndTheOthersKeepTheDefaults() {
    var histories =
        histories(
            Map.of(
                "PRINTFLEET_CHANNEL_HISTORY_SIZE", "50",
                "PRINTFLEET_CHANNEL_HISTORY_NAMESPACES",
                    " orders = 500 , 10m ;availability=20,1m;"));
    assertThat(histories.of("orders:branch:b1"))
        .isEqualTo(new ChannelHistory(500, Duration.ofMinutes(10)));
    assertThat(histories.of("availability:zone:z1"))
        .isEqualTo(new ChannelHistory(20, Duration.ofMinutes(1)));
    assertThat(histories(Map.of()).of("orders:branch:b1"))
        .isEqualTo(new ChannelHistory(100, Duration.ofMinutes(5)));
    assertThat(
            histories(Map.of("PRINTFLEET_CHANNEL_HISTORY_NAMESPACES", "orders=5,2s"))
                .of("availability:branch:b1"))
        .isEqualTo(new ChannelHistory(100, Duration.ofMinutes(5)));
  }

  @Test
  void aNamespacesHistoryIsRefusedWhenItIsNoneTheGatewayKeepsOrOutOfBounds() {
    var refusals =
        Map.of(
            "kitchen=5,1m", "no history for namespace kitchen",
            "printing=5,1m", "no history for namespace printing",
            "orders=0,1m", "a history size is 1 to 10000, got 0",
            "orders=10001,1m", "a history size is 1 to 10000, got 10001",
            "orders=5,500ms", "must be 1 s to 1 day, got 500 ms",
            "orders=5,2d", "must be 1 s to 1 day",
            "orders=5", "expected namespace=size,age",
            "orders=5,soon", "must be a duration",
            "orders=5,1m;orders=6,1m", "namespace orders is named twice");
    refusals.forEach(
        (bad, why) ->
            assertThatThrownBy(
                    () -> histories(Map.of("PRINTFLEET_CHANNEL_HISTORY_NAMESPACES", bad)))
                .as(bad)
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("PRINTFLEET_CHANNEL_HISTORY_NAMESPACES")
                .hasMessageContaining(why));
  }
}
