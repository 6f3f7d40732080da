package dev.printfleet.common.messages;

import io.vertx.core.json.jackson.JacksonCodec;
import io.vertx.core.spi.JsonFactory;
import io.vertx.core.spi.json.JsonCodec;

/**
 * Vert.x's JSON codec for every {@code JsonObject} and {@code JsonArray} of printfleet: Jackson's
 * streaming parser and generator, as Vert.x uses when jackson-databind is absent. With databind on
 * the classpath (the Redis cluster manager brings it), Vert.x otherwise encodes and decodes every
 * message through an {@code ObjectMapper}, whose serializer lookups were about 7 % of the services'
 * CPU samples in a flight recording at 1,000 jobs/s. printfleet maps no objects to JSON (no {@code
 * mapTo}, {@code mapFrom}): its messages are records that read and write {@code JsonObject}s
 * themselves. Registered in {@code META-INF/services/io.vertx.core.spi.JsonFactory}.
 */
public final class StreamingJsonFactory implements JsonFactory {

  private static final JsonCodec CODEC = new JacksonCodec();

  @Override
  public int order() {
    return 0;
  }

  @Override
  public JsonCodec codec() {
    return CODEC;
  }
}
