package dev.printfleet.printing.api;

import io.vertx.core.buffer.Buffer;
import io.vertx.ext.web.RoutingContext;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;

/** The API's OpenAPI 3 document, read once from the jar and served as it is. */
public final class OpenApiDocument {

  public static final String PATH = "/api/v1/openapi.yaml";
  public static final String RESOURCE = "openapi/printing-api.yaml";

  private static final Buffer DOCUMENT = load();

  private OpenApiDocument() {}

  static void serve(RoutingContext ctx) {
    ctx.response().putHeader("Content-Type", "application/yaml").end(DOCUMENT);
  }

  private static Buffer load() {
    try (InputStream in = OpenApiDocument.class.getClassLoader().getResourceAsStream(RESOURCE)) {
      if (in == null) {
        throw new IllegalStateException(RESOURCE + " is missing from the jar");
      }
      return Buffer.buffer(in.readAllBytes());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
