# syntax=docker/dockerfile:1
# One image recipe for the three services; SERVICE names the module and PORT its HTTP port.
# Build from the repository root (the reactor builds common first), for example:
#   docker build --build-arg SERVICE=gateway-service --build-arg PORT=8080 -t printfleet/gateway:dev .
#   docker build --build-arg SERVICE=printing-service --build-arg PORT=8081 -t printfleet/printing:dev .
#   docker build --build-arg SERVICE=monitoring-service --build-arg PORT=8082 -t printfleet/monitoring:dev .

# 1. Build the fat jar with the Maven wrapper; dependencies are cached between builds.
FROM eclipse-temurin:21-jdk AS build
ARG SERVICE
WORKDIR /src
COPY . .
RUN --mount=type=cache,target=/root/.m2 \
    case "$SERVICE" in gateway-service|printing-service|monitoring-service) ;; \
      *) echo "build with --build-arg SERVICE=gateway-service|printing-service|monitoring-service" >&2; exit 1 ;; esac \
 && ./mvnw -B -q -pl "$SERVICE" -am package -DskipTests \
 && cp "$SERVICE/target/$SERVICE.jar" /service.jar

# 2. Run it on a JRE, as an unprivileged user.
FROM eclipse-temurin:21-jre
ARG PORT
RUN test -n "$PORT" || { echo "build with --build-arg PORT=<the service's HTTP port>" >&2; exit 1; } \
 && apt-get update \
 && apt-get install -y --no-install-recommends curl \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 10001 printfleet \
 && useradd --system --uid 10001 --gid printfleet --home-dir /app --shell /usr/sbin/nologin printfleet
WORKDIR /app
COPY --from=build --chown=root:root /service.jar /app/service.jar
USER 10001:10001
# The heap follows the container's memory limit; the rest is left for metaspace, threads,
# Netty's direct buffers. Exit (and be restarted) rather than limp on after an OOM.
ENV JAVA_OPTS="-XX:MaxRAMPercentage=70 -XX:InitialRAMPercentage=25 -XX:+ExitOnOutOfMemoryError -XX:+UseG1GC" \
    PRINTFLEET_HTTP_PORT=${PORT}
EXPOSE ${PORT} 7000
HEALTHCHECK --interval=10s --timeout=3s --start-period=60s --retries=3 \
  CMD curl -fsS -o /dev/null "http://127.0.0.1:${PRINTFLEET_HTTP_PORT}/health/live" || exit 1
# exec: java is PID 1 and gets SIGTERM itself, so the instance drains.
ENTRYPOINT ["sh", "-c", "exec java $JAVA_OPTS -jar /app/service.jar"]
