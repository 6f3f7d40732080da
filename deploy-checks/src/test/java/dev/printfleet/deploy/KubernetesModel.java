package dev.printfleet.deploy;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Validates Kubernetes objects without a cluster against the fabric8 Kubernetes model (the API
 * types generated from Kubernetes' OpenAPI; fabric8 7.4, Kubernetes 1.33), read strictly: scalars
 * are not coerced (a port written as a string fails), and a field the API type does not have fails.
 * fabric8 keeps unknown fields in each object's {@code additionalProperties} instead of refusing
 * them, so every object of the parsed tree is walked for those. The prometheus-operator
 * ServiceMonitor and PrometheusRule (CRDs) are checked against fabric8's model of those CRDs
 * ({@code monitoring.coreos.com/v1}). A kind this class does not know fails.
 */
final class KubernetesModel {

  private static final Map<String, Class<?>> KINDS =
      Map.ofEntries(
          Map.entry("v1/Namespace", io.fabric8.kubernetes.api.model.Namespace.class),
          Map.entry("v1/ConfigMap", io.fabric8.kubernetes.api.model.ConfigMap.class),
          Map.entry("v1/Secret", io.fabric8.kubernetes.api.model.Secret.class),
          Map.entry("v1/Service", io.fabric8.kubernetes.api.model.Service.class),
          Map.entry("apps/v1/Deployment", io.fabric8.kubernetes.api.model.apps.Deployment.class),
          Map.entry(
              "autoscaling/v2/HorizontalPodAutoscaler",
              io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscaler.class),
          Map.entry(
              "policy/v1/PodDisruptionBudget",
              io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget.class),
          Map.entry(
              "networking.k8s.io/v1/Ingress",
              io.fabric8.kubernetes.api.model.networking.v1.Ingress.class),
          Map.entry(
              "networking.k8s.io/v1/NetworkPolicy",
              io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy.class),
          Map.entry(
              "monitoring.coreos.com/v1/ServiceMonitor",
              io.fabric8.openshift.api.model.monitoring.v1.ServiceMonitor.class),
          Map.entry(
              "monitoring.coreos.com/v1/PrometheusRule",
              io.fabric8.openshift.api.model.monitoring.v1.PrometheusRule.class));

  private static final ObjectMapper STRICT =
      JsonMapper.builder()
          .disable(MapperFeature.ALLOW_COERCION_OF_SCALARS)
          .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
          .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
          .enable(DeserializationFeature.FAIL_ON_NUMBERS_FOR_ENUMS)
          .enable(DeserializationFeature.FAIL_ON_READING_DUP_TREE_KEY)
          .build();

  private KubernetesModel() {}

  /** The problems of one object, each naming it and the field; empty when it is valid. */
  static List<String> validate(String source, JsonNode object) {
    String where = source + ": " + Yaml.id(object);
    String type = object.path("apiVersion").asText() + "/" + object.path("kind").asText();
    Class<?> kind = KINDS.get(type);
    List<String> problems = new ArrayList<>();
    if (kind == null) {
      problems.add(where + ": unknown apiVersion/kind " + type);
      return problems;
    }
    if (object.path("metadata").path("name").asText().isEmpty()) {
      problems.add(where + ": metadata.name is missing");
    }
    Object parsed;
    try {
      parsed = STRICT.treeToValue(object, kind);
    } catch (Exception e) {
      problems.add(where + ": " + e.getMessage().lines().findFirst().orElse(e.toString()));
      return problems;
    }
    walk(parsed, "", problems, where, 0);
    return problems;
  }

  private static void walk(
      Object value, String path, List<String> problems, String where, int depth) {
    if (value == null || depth > 40) {
      return;
    }
    if (value instanceof List<?> list) {
      for (int i = 0; i < list.size(); i++) {
        walk(list.get(i), path + "[" + i + "]", problems, where, depth + 1);
      }
      return;
    }
    if (value instanceof Map<?, ?> map) {
      for (var e : map.entrySet()) {
        walk(e.getValue(), path + "." + e.getKey(), problems, where, depth + 1);
      }
      return;
    }
    if (!value.getClass().getName().startsWith("io.fabric8.")) {
      return;
    }
    for (Method m : value.getClass().getMethods()) {
      if (m.getParameterCount() != 0
          || Modifier.isStatic(m.getModifiers())
          || !m.getName().startsWith("get")
          || m.getDeclaringClass() == Object.class) {
        continue;
      }
      Object child;
      try {
        child = m.invoke(value);
      } catch (ReflectiveOperationException e) {
        continue;
      }
      if (m.getName().equals("getAdditionalProperties")) {
        if (child instanceof Map<?, ?> extra && !extra.isEmpty()) {
          problems.add(
              where
                  + ": unknown field(s) "
                  + extra.keySet()
                  + " at "
                  + (path.isEmpty() ? "the top" : path.substring(1)));
        }
        continue;
      }
      String name = Character.toLowerCase(m.getName().charAt(3)) + m.getName().substring(4);
      walk(child, path + "." + name, problems, where, depth + 1);
    }
  }
}
