package dev.printfleet.common.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.printfleet.common.config.RedisSettings.ClientType;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RedisSettingsTest {

  private static RedisSettings read(Map<String, String> env) {
    return RedisSettings.from(new Settings(env));
  }

  @Test
  void defaultsToStandaloneRedisOnLocalhost() {
    RedisSettings redis = read(Map.of());

    assertThat(redis.clientType()).isEqualTo(ClientType.STANDALONE);
    assertThat(redis.endpoints()).containsExactly("redis://127.0.0.1:6379");
    assertThat(redis.username()).isEmpty();
    assertThat(redis.password()).isEmpty();
    assertThat(redis.keyNamespace()).isEmpty();
    assertThat(redis.key("presence")).isEqualTo("presence");
  }

  @Test
  void hostPortAndSchemeVariablesMakeTheEndpoint() {
    RedisSettings redis =
        read(
            Map.of(
                "REDIS_CONNECTION_SCHEME", "rediss",
                "REDIS_CONNECTION_HOST", "redis.internal",
                "REDIS_CONNECTION_PORT", "6380"));

    assertThat(redis.endpoints()).containsExactly("rediss://redis.internal:6380");
  }

  @Test
  void addressListTakesPrecedenceForACluster() {
    RedisSettings redis =
        read(
            Map.of(
                "PRINTFLEET_REDIS_CLIENT_TYPE", "cluster",
                "REDIS_CONNECTION_ADDRESS", "redis://r1:7000, redis://r2:7001,rediss://r3:7002",
                "REDIS_CONNECTION_HOST", "ignored"));

    assertThat(redis.clientType()).isEqualTo(ClientType.CLUSTER);
    assertThat(redis.endpoints())
        .containsExactly("redis://r1:7000", "redis://r2:7001", "rediss://r3:7002");
  }

  @Test
  void standaloneWithTwoAddressesIsRefused() {
    assertThatThrownBy(
            () -> read(Map.of("REDIS_CONNECTION_ADDRESS", "redis://r1:7000,redis://r2:7001")))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("REDIS_CONNECTION_ADDRESS ")
        .hasMessageContaining("lists 2 addresses")
        .hasMessageContaining("PRINTFLEET_REDIS_CLIENT_TYPE");
  }

  @Test
  void badSchemeIsRefused() {
    assertThatThrownBy(() -> read(Map.of("REDIS_CONNECTION_SCHEME", "http")))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("REDIS_CONNECTION_SCHEME ")
        .hasMessageContaining("'http'");
    assertThatThrownBy(() -> read(Map.of("REDIS_CONNECTION_ADDRESS", "http://r1:6379")))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("REDIS_CONNECTION_ADDRESS ")
        .hasMessageContaining("'http://r1:6379'");
  }

  @Test
  void addressWithoutPortOrHostIsRefused() {
    for (String bad : new String[] {"redis://r1", "r1:6379", "redis://:6379", "redis://[oops"}) {
      assertThatThrownBy(() -> read(Map.of("REDIS_CONNECTION_ADDRESS", bad)))
          .as(bad)
          .isInstanceOf(ConfigException.class)
          .hasMessageStartingWith("REDIS_CONNECTION_ADDRESS ")
          .hasMessageContaining("'" + bad + "'");
    }
  }

  @Test
  void unknownClientTypeIsRefused() {
    assertThatThrownBy(() -> read(Map.of("PRINTFLEET_REDIS_CLIENT_TYPE", "sentinel")))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("PRINTFLEET_REDIS_CLIENT_TYPE ")
        .hasMessageContaining("'sentinel'");
  }

  @Test
  void credentialsAndNamespaceAreRead() {
    RedisSettings redis =
        read(
            Map.of(
                "REDIS_CONNECTION_USERNAME", "fleet",
                "REDIS_CONNECTION_PASSWORD", "s3cret-pw",
                "REDIS_KEY_NAMESPACE", "pf"));

    assertThat(redis.username()).hasValue("fleet");
    assertThat(redis.password()).hasValue("s3cret-pw");
    assertThat(redis.key("presence")).isEqualTo("pf:presence");
  }

  @Test
  void toStringNeverShowsThePassword() {
    RedisSettings redis =
        read(Map.of("REDIS_CONNECTION_PASSWORD", "s3cret-pw", "REDIS_KEY_NAMESPACE", "pf"));

    assertThat(redis.toString())
        .doesNotContain("s3cret-pw")
        .contains("redis://127.0.0.1:6379")
        .contains("pf");
  }

  @Test
  void clusterClientIsSmallUnlessTheOperatorSaysOtherwise() {
    assertThat(read(Map.of()).clusterClient())
        .isEqualTo(new RedisSettings.ClusterClientSizes(2, 1, 32, 8));
    assertThat(
            read(Map.of(
                    "PRINTFLEET_CLUSTER_REDIS_NETTY_THREADS", "4",
                    "PRINTFLEET_CLUSTER_REDIS_IDLE_CONNECTIONS", "2",
                    "PRINTFLEET_CLUSTER_REDIS_POOL", "32",
                    "PRINTFLEET_CLUSTER_REDIS_SUBSCRIPTION_POOL", "10"))
                .clusterClient())
        .isEqualTo(new RedisSettings.ClusterClientSizes(4, 2, 32, 10));
  }

  @Test
  void moreIdleConnectionsThanThePoolIsRefused() {
    assertThatThrownBy(
            () ->
                read(
                    Map.of(
                        "PRINTFLEET_CLUSTER_REDIS_IDLE_CONNECTIONS", "20",
                        "PRINTFLEET_CLUSTER_REDIS_POOL", "16")))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("PRINTFLEET_CLUSTER_REDIS_IDLE_CONNECTIONS ")
        .hasMessageContaining("must not exceed PRINTFLEET_CLUSTER_REDIS_POOL");
  }
}
