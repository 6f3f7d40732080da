package dev.printfleet.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** YAML files as Jackson trees; a file may hold several documents. */
final class Yaml {

  static final ObjectMapper MAPPER = new ObjectMapper(new YAMLFactory());

  private Yaml() {}

  static List<ObjectNode> documents(Path file) {
    try {
      return documents(Files.readString(file));
    } catch (IOException e) {
      throw new UncheckedIOException(file + ": " + e.getMessage(), e);
    }
  }

  static List<ObjectNode> documents(String text) {
    List<ObjectNode> documents = new ArrayList<>();
    try (var parser = MAPPER.getFactory().createParser(text)) {
      var values = MAPPER.readValues(parser, JsonNode.class);
      while (values.hasNextValue()) {
        JsonNode node = values.nextValue();
        if (node == null || node.isNull() || node.isMissingNode()) {
          continue;
        }
        if (!node.isObject()) {
          throw new IllegalArgumentException("a YAML document is not a mapping: " + node);
        }
        documents.add((ObjectNode) node);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e.getMessage(), e);
    }
    return documents;
  }

  static ObjectNode single(Path file) {
    var documents = documents(file);
    if (documents.size() != 1) {
      throw new IllegalArgumentException(
          file + " holds " + documents.size() + " documents, expected one");
    }
    return documents.get(0);
  }

  /** "kind/name" of a Kubernetes object. */
  static String id(JsonNode object) {
    return object.path("kind").asText() + "/" + object.path("metadata").path("name").asText();
  }
}
