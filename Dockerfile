# Thespian container image.
#   docker build -t thespian:local .      (or: just image)
#   docker run --rm -p 6379:6379 -e CONFIG_JSON='{...}' thespian:local
# Configuration is all environment: PORT, SERVICE_NAME, CONFIG_JSON or CONFIG_FILE,
# OTEL_BACKEND_ADDRESS, LOKI_ADDRESS (see docs/instrumentation.md); limits and shutdown (THESPIAN_MAX_IN_FLIGHT,
# THESPIAN_SHUTDOWN_DELAY_SECONDS, ...) in docs/reference.md, "Environment variables".

# ---- build: the shaded jar, target/thespian.jar ----
FROM maven:3.9.16-eclipse-temurin-17 AS build
WORKDIR /src
COPY pom.xml ./
COPY proto ./proto
COPY src/main ./src/main
RUN --mount=type=cache,target=/root/.m2 mvn -B -q package -DskipTests

# ---- runtime: a JRE and the jar, as an unprivileged user ----
FROM eclipse-temurin:17.0.20.1_1-jre-noble
RUN groupadd --system --gid 10001 thespian \
 && useradd --system --uid 10001 --gid thespian --home-dir /app --no-create-home --shell /usr/sbin/nologin thespian
WORKDIR /app
COPY --from=build /src/target/thespian.jar /app/thespian.jar
# A class-data archive of the classes Thespian loads to serve and to warm up (JDK 13+ dynamic AppCDS), made by one
# run of the built-in demo: every start maps them instead of loading them again, so the port opens sooner and the
# warm-up gets further (docs/benchmarks.md, "The first calls"). A JVM that cannot use it starts without it, silently.
RUN java -XX:ArchiveClassesAtExit=/app/thespian.jsa -Xlog:cds=off -Xlog:cds+dynamic=off -jar /app/thespian.jar demo \
    >/dev/null 2>&1
USER 10001:10001
ENV PORT=6379
EXPOSE 6379
# The jar asks its own gRPC health service on 127.0.0.1:$PORT; a small, quick-starting JVM for it.
HEALTHCHECK --interval=15s --timeout=10s --start-period=30s --retries=3 \
  CMD ["java", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Xmx64m", "-jar", "/app/thespian.jar", "healthcheck"]
# Heap follows the container's memory limit (75%, the rest for metaspace, threads and buffers; THESPIAN_MAX_IN_FLIGHT's
# default follows the heap); an OutOfMemoryError ends the container (and restarts it) instead of leaving a half-broken
# JVM behind, even one a Memory action would have caught: so the Memory actions' cap (THESPIAN_MEMORY_CAP_MB, a
# quarter of the heap by default, at most three quarters and 32 MiB less than all of it, for all of a cast's
# members together) refuses first, and holds are refused while the heap is nearly full (docs/instrumentation.md).
# Add flags with JAVA_TOOL_OPTIONS. docker stop sends SIGTERM: NOT_SERVING, the drain, exit 0.
ENTRYPOINT ["java", "-XX:SharedArchiveFile=/app/thespian.jsa", "-Xlog:cds=off", "-Xlog:cds+dynamic=off", \
  "-XX:MaxRAMPercentage=75", "-XX:+ExitOnOutOfMemoryError", "-jar", "/app/thespian.jar"]
