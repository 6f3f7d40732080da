package dev.printfleet.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A small kustomize for exactly the features k8s/ uses, so the overlays render in the test suite
 * without a kustomize binary (none comes from Debian, npm or Maven Central): {@code resources}
 * (files and directories), {@code namespace}, {@code labels} (without selectors), {@code
 * configMapGenerator} (files and literals, without the name hash), {@code patches} (strategic merge
 * from a file; JSON 6902 inline with a kind/name target) and {@code images}. Any other field fails
 * the render rather than being ignored. Strategic merge here merges maps, merges lists of objects
 * by {@code name} (containers, env, ports) and replaces other lists; that covers every patch in
 * k8s/overlays. Its output for both overlays was compared once with {@code kubectl kustomize}
 * (identical objects); no kubectl comes from the registries this project installs from, so that
 * comparison is not part of the suite.
 */
final class Kustomize {

  private static final Set<String> SUPPORTED =
      Set.of(
          "apiVersion",
          "kind",
          "namespace",
          "labels",
          "resources",
          "configMapGenerator",
          "patches",
          "images");
  private static final Set<String> CLUSTER_SCOPED =
      Set.of("Namespace", "ClusterRole", "ClusterRoleBinding");

  private Kustomize() {}

  static List<ObjectNode> render(Path dir) {
    Path file = dir.resolve("kustomization.yaml");
    ObjectNode k = Yaml.single(file);
    for (Iterator<String> it = k.fieldNames(); it.hasNext(); ) {
      String field = it.next();
      if (!SUPPORTED.contains(field)) {
        throw new IllegalArgumentException(
            file + ": field '" + field + "' is not supported by this renderer");
      }
    }
    List<ObjectNode> objects = new ArrayList<>();
    for (JsonNode entry : k.path("resources")) {
      Path path = dir.resolve(entry.asText()).normalize();
      if (Files.isDirectory(path)) {
        objects.addAll(render(path));
      } else {
        if (!path.startsWith(dir.normalize())) {
          throw new IllegalArgumentException(
              file + ": resource " + entry.asText() + " is outside the kustomization root");
        }
        objects.addAll(Yaml.documents(path));
      }
    }
    for (JsonNode generator : k.path("configMapGenerator")) {
      objects.add(configMap(dir, generator));
    }
    for (JsonNode patch : k.path("patches")) {
      applyPatch(dir, patch, objects);
    }
    String namespace = k.path("namespace").asText("");
    if (!namespace.isEmpty()) {
      for (ObjectNode object : objects) {
        ObjectNode metadata = object.with("metadata");
        if (object.path("kind").asText().equals("Namespace")) {
          metadata.put("name", namespace);
        } else if (!CLUSTER_SCOPED.contains(object.path("kind").asText())) {
          metadata.put("namespace", namespace);
        }
      }
    }
    for (JsonNode label : k.path("labels")) {
      if (label.path("includeSelectors").asBoolean(false)
          || label.path("includeTemplates").asBoolean(false)) {
        throw new IllegalArgumentException(
            file + ": labels with includeSelectors/includeTemplates are not supported");
      }
      for (ObjectNode object : objects) {
        ObjectNode labels = object.with("metadata").with("labels");
        label.path("pairs").fields().forEachRemaining(e -> labels.set(e.getKey(), e.getValue()));
      }
    }
    for (JsonNode image : k.path("images")) {
      for (ObjectNode object : objects) {
        for (JsonNode container :
            object.path("spec").path("template").path("spec").path("containers")) {
          String current = container.path("image").asText();
          int colon = current.lastIndexOf(':');
          String name = colon > current.lastIndexOf('/') ? current.substring(0, colon) : current;
          if (name.equals(image.path("name").asText())) {
            String newName = image.path("newName").asText(name);
            String tag =
                image.has("newTag")
                    ? image.path("newTag").asText()
                    : current.substring(name.length() + 1);
            ((ObjectNode) container).put("image", newName + ":" + tag);
          }
        }
      }
    }
    return objects;
  }

  private static ObjectNode configMap(Path dir, JsonNode generator) {
    if (!generator.path("options").path("disableNameSuffixHash").asBoolean(false)) {
      throw new IllegalArgumentException(
          dir + ": configMapGenerator without disableNameSuffixHash is not supported");
    }
    var f = JsonNodeFactory.instance;
    ObjectNode cm = f.objectNode().put("apiVersion", "v1").put("kind", "ConfigMap");
    ObjectNode metadata = cm.putObject("metadata").put("name", generator.path("name").asText());
    if (generator.path("options").has("labels")) {
      metadata.set("labels", generator.path("options").path("labels").deepCopy());
    }
    ObjectNode data = cm.putObject("data");
    for (JsonNode fileEntry : generator.path("files")) {
      Path path = dir.resolve(fileEntry.asText()).normalize();
      try {
        data.put(path.getFileName().toString(), Files.readString(path));
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    for (JsonNode literal : generator.path("literals")) {
      String[] kv = literal.asText().split("=", 2);
      data.put(kv[0], kv[1]);
    }
    return cm;
  }

  private static void applyPatch(Path dir, JsonNode patch, List<ObjectNode> objects) {
    if (patch.has("path")) {
      for (ObjectNode smp : Yaml.documents(dir.resolve(patch.path("path").asText()))) {
        ObjectNode target =
            find(
                objects,
                smp.path("kind").asText(),
                smp.path("metadata").path("name").asText(),
                dir);
        merge(target, smp);
      }
      return;
    }
    JsonNode target = patch.path("target");
    ObjectNode object =
        find(objects, target.path("kind").asText(), target.path("name").asText(), dir);
    for (JsonNode op :
        Yaml.MAPPER.convertValue(readYamlList(patch.path("patch").asText()), ArrayNode.class)) {
      jsonPatch(object, op);
    }
  }

  private static JsonNode readYamlList(String text) {
    try {
      return Yaml.MAPPER.readTree(text);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static ObjectNode find(List<ObjectNode> objects, String kind, String name, Path dir) {
    return objects.stream()
        .filter(
            o ->
                o.path("kind").asText().equals(kind)
                    && o.path("metadata").path("name").asText().equals(name))
        .findFirst()
        .orElseThrow(
            () ->
                new IllegalArgumentException(
                    dir + ": a patch targets " + kind + "/" + name + ", which no resource is"));
  }

  /** Strategic merge, as far as k8s/ needs it. */
  static void merge(ObjectNode target, JsonNode patch) {
    for (Iterator<Map.Entry<String, JsonNode>> it = patch.fields(); it.hasNext(); ) {
      var e = it.next();
      JsonNode existing = target.get(e.getKey());
      JsonNode value = e.getValue();
      if (value.isNull()) {
        target.remove(e.getKey());
      } else if (existing instanceof ObjectNode existingObject && value.isObject()) {
        merge(existingObject, value);
      } else if (existing instanceof ArrayNode existingList
          && value.isArray()
          && byName(existingList)
          && byName(value)) {
        for (JsonNode item : value) {
          ObjectNode match = null;
          for (JsonNode old : existingList) {
            if (old.path("name").equals(item.path("name"))) {
              match = (ObjectNode) old;
            }
          }
          if (match != null) {
            merge(match, item);
          } else {
            existingList.add(item.deepCopy());
          }
        }
      } else {
        target.set(e.getKey(), value.deepCopy());
      }
    }
  }

  private static boolean byName(JsonNode list) {
    if (list.isEmpty()) {
      return false;
    }
    for (JsonNode item : list) {
      if (!item.isObject() || !item.has("name")) {
        return false;
      }
    }
    return true;
  }

  /** JSON patch (RFC 6902): add, replace, remove. */
  static void jsonPatch(ObjectNode object, JsonNode op) {
    String[] tokens = op.path("path").asText().substring(1).split("/");
    JsonNode parent = object;
    for (int i = 0; i < tokens.length - 1; i++) {
      String token = unescape(tokens[i]);
      parent = parent.isArray() ? parent.get(Integer.parseInt(token)) : parent.get(token);
      if (parent == null) {
        throw new IllegalArgumentException(
            Yaml.id(object) + ": JSON patch path " + op.path("path").asText() + " does not exist");
      }
    }
    String last = unescape(tokens[tokens.length - 1]);
    String kind = op.path("op").asText();
    JsonNode value = op.path("value").deepCopy();
    if (parent instanceof ObjectNode p) {
      if (kind.equals("replace") || kind.equals("remove")) {
        if (!p.has(last)) {
          throw new IllegalArgumentException(
              Yaml.id(object)
                  + ": JSON patch "
                  + kind
                  + " of a missing "
                  + op.path("path").asText());
        }
      }
      if (kind.equals("remove")) {
        p.remove(last);
      } else if (kind.equals("add") || kind.equals("replace")) {
        p.set(last, value);
      } else {
        throw new IllegalArgumentException("JSON patch op " + kind + " is not supported");
      }
    } else if (parent instanceof ArrayNode a) {
      int index = last.equals("-") ? a.size() : Integer.parseInt(last);
      switch (kind) {
        case "add" -> a.insert(index, value);
        case "replace" -> a.set(index, value);
        case "remove" -> a.remove(index);
        default ->
            throw new IllegalArgumentException("JSON patch op " + kind + " is not supported");
      }
    }
  }

  private static String unescape(String token) {
    return token.replace("~1", "/").replace("~0", "~");
  }
}
