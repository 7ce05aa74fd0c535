package org.thespian.instrumentation;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.thespian.instrumentation.Compose.Service;

/**
 * The observability stack and the demo cast fit together: every address one component sends to is where the next
 * one listens, every file a component is given exists, every link Grafana offers points at a provisioned data source.
 */
class StackConfigurationTest {

    private static final Path INSTRUMENTATION = RepoFiles.path("instrumentation");
    /** Thespian's default PORT, the port of every thespian that sets none. */
    private static final int THESPIAN_DEFAULT_PORT = 6379;
    private static final Pattern PINNED_IMAGE = Pattern.compile("[\\w./-]+:v?\\d+(\\.\\d+)+[\\w.-]*");

    private final Compose stack = Compose.load(INSTRUMENTATION.resolve("docker-compose.yaml"));
    private final Compose demo = Compose.load(INSTRUMENTATION.resolve("demo-compose.yaml"));

    private final Service collector = stack.byImage("otel/opentelemetry-collector-contrib");
    private final Service tempo = stack.byImage("grafana/tempo");
    private final Service loki = stack.byImage("grafana/loki");
    private final Service prometheus = stack.byImage("prom/prometheus");
    private final Service grafana = stack.byImage("grafana/grafana");

    private final JsonNode collectorConfig = mountedYaml(collector, "--config");
    private final JsonNode tempoConfig = mountedYaml(tempo, "-config.file");
    private final JsonNode lokiConfig = mountedYaml(loki, "-config.file");
    private final Path provisioning = grafana.hostFile("/etc/grafana/provisioning");
    private final List<JsonNode> datasources = RepoFiles.filesEndingWith(provisioning.resolve("datasources"), ".yaml", ".yml")
            .stream().flatMap(file -> RepoFiles.yaml(file).path("datasources").valueStream()).toList();

    private final int collectorOtlpGrpcPort = listenPort(collectorConfig, "/receivers/otlp/protocols/grpc/endpoint");
    private final int tempoOtlpGrpcPort = listenPort(tempoConfig, "/distributor/receivers/otlp/protocols/grpc/endpoint");
    private final int tempoHttpPort = tempoConfig.at("/server/http_listen_port").asInt();
    private final int lokiHttpPort = lokiConfig.at("/server/http_listen_port").asInt();
    private final int prometheusPort = Endpoint.parse(prometheus.flag("--web.listen-address").orElse("0.0.0.0:9090")).port();

    static Stream<Named<Path>> configFiles() {
        return RepoFiles.filesEndingWith(INSTRUMENTATION, ".yaml", ".yml", ".json", ".jsonc").stream()
                .map(file -> Named.of(RepoFiles.ROOT.relativize(file).toString(), file));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("configFiles")
    void everyConfigFileParses(Path file) {
        String name = file.getFileName().toString();
        JsonNode tree = name.endsWith(".yaml") || name.endsWith(".yml") ? RepoFiles.yaml(file) : RepoFiles.json(file);
        assertTrue(tree.isObject() && !tree.isEmpty(), () -> file + " holds no settings");
    }

    @Test
    void everyFileAServiceIsGivenExists() {
        assertAll(demo.services().stream().flatMap(service -> Stream.concat(
                service.bindMounts().stream().map(mount -> () -> assertTrue(Files.exists(mount.source()),
                        () -> service.name() + " mounts missing " + mount.source())),
                Stream.of(() -> assertTrue(!service.builtHere() || Files.isRegularFile(service.dockerfile()),
                        () -> service.name() + " builds from missing " + service.dockerfile())))));
    }

    @Test
    void everyImageIsPinnedToAVersion() {
        List<String> images = Stream.concat(
                demo.services(service -> !service.builtHere()).stream().map(service -> service.image().orElse(service.name())),
                dockerfile().stream().filter(line -> line.startsWith("FROM ")).map(line -> line.split("\\s+")[1])).toList();
        assertAll(images.stream().map(image -> () -> assertTrue(
                PINNED_IMAGE.matcher(image).matches() && !image.endsWith(":latest"), image + " is not pinned to a version")));
    }

    @Test
    void thespiansReportToTheCollectorAndLoki() {
        List<Service> thespians = demo.services(Service::builtHere);
        assertFalse(thespians.isEmpty(), "the demo runs thespians");
        for (Service thespian : thespians) {
            Map<String, String> env = thespian.environment();
            assertReaches(demo, env.get("OTEL_BACKEND_ADDRESS"), collector, collectorOtlpGrpcPort);
            assertReaches(demo, env.get("LOKI_ADDRESS"), loki, lokiHttpPort);
        }
    }

    @Test
    void justfileSendsTelemetryWhereTheStackListens() {
        String justfile = RepoFiles.text(RepoFiles.path("justfile"));
        List<String> otel = addressesAfter("OTEL_BACKEND_ADDRESS", justfile);
        List<String> lokis = addressesAfter("LOKI_ADDRESS", justfile);
        assertTrue(otel.stream().anyMatch(address -> Endpoint.parse(address).onThisMachine()), "local processes report to localhost");
        assertTrue(otel.stream().anyMatch(address -> !Endpoint.parse(address).onThisMachine()), "containers report in the network");
        otel.forEach(address -> assertReaches(stack, address, collector, collectorOtlpGrpcPort));
        lokis.forEach(address -> assertReaches(stack, address, loki, lokiHttpPort));
    }

    @Test
    void collectorFansOutTracesToTempoLogsToLokiMetricsToPrometheus() {
        JsonNode pipelines = collectorConfig.at("/service/pipelines");
        Map<String, Function<String, Service>> backends = Map.of(
                "traces", endpoint -> assertReaches(stack, endpoint, tempo, tempoOtlpGrpcPort),
                "logs", endpoint -> assertReaches(stack, endpoint, loki, lokiHttpPort, "/otlp"),
                "metrics", endpoint -> assertRemoteWritesToPrometheus(endpoint));
        backends.forEach((signal, backend) -> {
            JsonNode pipeline = pipelines.path(signal);
            assertTrue(texts(pipeline.path("receivers")).contains("otlp"), signal + " come in over OTLP");
            for (String kind : List.of("receivers", "processors", "exporters")) {
                texts(pipeline.path(kind)).forEach(id -> assertTrue(collectorConfig.path(kind).has(id), signal + " uses undeclared " + id));
            }
            List<String> exporters = texts(pipeline.path("exporters"));
            assertFalse(exporters.isEmpty(), signal + " are exported");
            exporters.forEach(id -> backend.apply(collectorConfig.path("exporters").path(id).path("endpoint").asText()));
        });
    }

    @Test
    void tempoWritesSpanMetricsAndServiceGraphToPrometheus() {
        JsonNode remoteWrites = tempoConfig.at("/metrics_generator/storage/remote_write");
        assertFalse(remoteWrites.isEmpty(), "the metrics-generator remote-writes");
        remoteWrites.forEach(target -> assertRemoteWritesToPrometheus(target.path("url").asText()));
        assertTrue(texts(tempoConfig.at("/overrides/defaults/metrics_generator/processors"))
                .containsAll(List.of("service-graphs", "span-metrics")), "service graph and span metrics are on");
        if (remoteWrites.valueStream().anyMatch(target -> target.path("send_exemplars").asBoolean())) {
            assertTrue(prometheus.flag("--enable-feature").orElse("").contains("exemplar-storage"), "Prometheus keeps exemplars");
        }
    }

    @Test
    void tempoSearchFindsTracesFromSecondsAgo() {
        // Tempo 3.0 leaves the newest 30 s out of search unless query_end_cutoff says otherwise.
        Matcher cutoff = Pattern.compile("(\\d+)s").matcher(tempoConfig.at("/query_frontend/query_end_cutoff").asText());
        assertTrue(cutoff.matches() && Integer.parseInt(cutoff.group(1)) <= 5,
                "query_end_cutoff is a few seconds: " + tempoConfig.at("/query_frontend/query_end_cutoff"));
    }

    @Test
    void prometheusKeepsItsRetentionInItsConfigNotInTheDeprecatedFlag() {
        assertTrue(prometheus.command().stream().noneMatch(arg -> arg.startsWith("--storage.tsdb.retention")),
                prometheus.command().toString());
        JsonNode prometheusConfig = mountedYaml(prometheus, "--config.file");
        assertFalse(prometheusConfig.at("/storage/tsdb/retention/time").asText().isEmpty(), "storage.tsdb.retention.time");
    }

    @Test
    void everyServiceOfTheStackIsAComponent() {
        assertEquals(Set.of(collector.name(), tempo.name(), loki.name(), prometheus.name(), grafana.name()),
                stack.services().stream().map(Service::name).collect(Collectors.toSet()));
    }

    @Test
    void grafanaDatasourcesPointAtTheBackends() {
        assertReaches(stack, datasource("tempo").path("url").asText(), tempo, tempoHttpPort);
        assertReaches(stack, datasource("loki").path("url").asText(), loki, lokiHttpPort);
        assertReaches(stack, datasource("prometheus").path("url").asText(), prometheus, prometheusPort);
        assertEquals(datasources.size(), uids().size(), "every data source has its own uid");
    }

    @Test
    void correlationsLinkProvisionedDatasources() {
        String tempoUid = uid("tempo");
        String lokiUid = uid("loki");
        String prometheusUid = uid("prometheus");
        JsonNode tempoSettings = datasource("tempo").path("jsonData");
        assertEquals(lokiUid, tempoSettings.at("/tracesToLogsV2/datasourceUid").asText(), "traces -> logs");
        assertTrue(tempoSettings.at("/tracesToLogsV2/tags").valueStream().anyMatch(tag ->
                tag.path("key").asText().equals("service.name") && tag.path("value").asText().equals("service_name")),
                "traces -> logs match service.name to Loki's service_name label");
        assertEquals(prometheusUid, tempoSettings.at("/serviceMap/datasourceUid").asText(), "service map");
        assertEquals(prometheusUid, tempoSettings.at("/tracesToMetrics/datasourceUid").asText(), "traces -> metrics");
        assertTrue(tempoSettings.path("lokiSearch").isMissingNode(), "lokiSearch is a dead key: traces -> logs is tracesToLogsV2");
        JsonNode exemplars = datasource("prometheus").at("/jsonData/exemplarTraceIdDestinations");
        assertFalse(exemplars.isEmpty(), "metrics -> traces through exemplars");
        exemplars.forEach(destination -> assertEquals(tempoUid, destination.path("datasourceUid").asText()));

        JsonNode derivedFields = datasource("loki").at("/jsonData/derivedFields");
        derivedFields.forEach(field -> assertEquals(tempoUid, field.path("datasourceUid").asText(), "logs -> traces"));
        assertTrue(derivedFields.valueStream().anyMatch(field -> field.path("matcherType").asText().equals("label")
                && "trace_id".matches(field.path("matcherRegex").asText())), "logs -> traces from the trace_id structured metadata");
        String traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
        String logLine = thespianLogLine(traceId);
        assertTrue(derivedFields.valueStream().filter(field -> !field.path("matcherType").asText().equals("label"))
                .map(field -> Pattern.compile(field.path("matcherRegex").asText()).matcher(logLine))
                .anyMatch(match -> match.find() && traceId.equals(match.group(1))), "logs -> traces from the JSON log line");
    }

    @Test
    void provisioningFilesWriteEveryLiteralDollarTwice() {
        for (Path file : RepoFiles.filesEndingWith(provisioning, ".yaml", ".yml")) {
            textValues(RepoFiles.yaml(file)).forEach(value -> assertFalse(value.replace("$$", "").contains("$"),
                    () -> file + ": Grafana expands the lone $ of " + value + " as an environment variable"));
        }
    }

    @Test
    void dashboardsQueryProvisionedDatasources() {
        List<Path> dashboards = RepoFiles.filesEndingWith(provisioning.resolve("dashboards"), ".yaml", ".yml").stream()
                .flatMap(file -> RepoFiles.yaml(file).path("providers").valueStream())
                .map(provider -> grafana.hostFile(provider.at("/options/path").asText()))
                .flatMap(dir -> RepoFiles.filesEndingWith(dir, ".json").stream())
                .toList();
        assertFalse(dashboards.isEmpty(), "a dashboard is provisioned");
        Set<String> uids = uids();
        Set<String> used = new HashSet<>();
        for (Path file : dashboards) {
            JsonNode dashboard = RepoFiles.json(file);
            for (JsonNode panel : dashboard.path("panels")) {
                assertFalse(panel.path("targets").isEmpty(), () -> file + ": panel " + panel.path("title") + " queries nothing");
            }
            dashboard.findValues("datasource").forEach(datasource -> used.add(datasource.path("uid").asText()));
        }
        assertTrue(uids.containsAll(used), () -> "dashboards use data sources " + used + ", provisioned are " + uids);
        assertEquals(uids, used, "the dashboards show metrics, traces and logs");
        grafana.environment().entrySet().stream().filter(entry -> entry.getKey().endsWith("_DASHBOARD_PATH"))
                .forEach(entry -> assertTrue(Files.isRegularFile(grafana.hostFile(entry.getValue())), entry.getKey()));
    }

    @Test
    void demoCallsLandOnThespiansOfTheDemo() {
        Map<String, Service> thespians = demo.services(Service::builtHere).stream()
                .collect(Collectors.toMap(Service::name, Function.identity()));
        assertTrue(thespians.size() >= 4, "the demo has a cast of four or more");
        Map<String, JsonNode> configs = thespians.values().stream()
                .collect(Collectors.toMap(Service::name, StackConfigurationTest::thespianConfig));
        Map<String, Set<String>> callees = configs.entrySet().stream().collect(Collectors.toMap(Map.Entry::getKey, entry ->
                entry.getValue().findValues("CallService").stream().map(call -> {
                    String target = URI.create(call.path("service_address").asText()).getHost();
                    Service callee = thespians.get(target);
                    assertNotNull(callee, () -> entry.getKey() + " calls " + target + ", which is no thespian of the demo");
                    assertEquals(thespianPort(callee), call.path("service_port").asInt(),
                            () -> entry.getKey() + " calls " + target + " on a port it does not listen on");
                    return target;
                }).collect(Collectors.toSet())));

        List<String> entrances = thespians.values().stream().filter(thespian -> !thespian.publishedPorts().isEmpty())
                .peek(thespian -> assertTrue(thespian.publishedPorts().containsValue(thespianPort(thespian)), thespian.name()))
                .map(Service::name).toList();
        assertEquals(thespians.keySet(), reachable(entrances, callees), "one call from outside reaches the whole cast");
        assertTrue(configs.values().stream().flatMap(config -> config.findValues("failure_chance").stream())
                .anyMatch(chance -> chance.asDouble() > 0), "one of the cast is flaky");
    }

    @Test
    void dockerfileBuildsAndRunsTheJarAsTheContractSays() {
        List<String> dockerfile = dockerfile();
        assertTrue(dockerfile.stream().anyMatch(line -> line.startsWith("RUN ") && line.matches(".*\\bmvn\\b.*\\bpackage\\b.*")),
                "the image builds the jar with Maven");
        String jarTarget = RepoFiles.text(RepoFiles.path("pom.xml"))
                .replaceAll("(?s).*<thespian\\.jar>\\$\\{project\\.build\\.directory}/([^<]+)</thespian\\.jar>.*", "target/$1");
        String copy = dockerfile.stream().filter(line -> line.startsWith("COPY --from=")).findFirst().orElseThrow();
        String[] copyArgs = copy.split("\\s+");
        assertTrue(copyArgs[copyArgs.length - 2].endsWith("/" + jarTarget), () -> copy + " should take the built " + jarTarget);
        String jar = copyArgs[copyArgs.length - 1];
        assertTrue(instruction(dockerfile, "ENTRYPOINT").matches(".*\"-jar\",\\s*\"" + Pattern.quote(jar) + "\".*"), "runs " + jar);
        assertTrue(instruction(dockerfile, "HEALTHCHECK").matches(".*\"-jar\",\\s*\"" + Pattern.quote(jar) + "\",\\s*\"healthcheck\".*"),
                "health-checks with " + jar + " healthcheck");
        assertEquals("EXPOSE " + THESPIAN_DEFAULT_PORT, instruction(dockerfile, "EXPOSE"));
        assertFalse(instruction(dockerfile, "USER").matches("USER (root|0)(:.*)?"), "runs as an unprivileged user");
        List<String> ignored = RepoFiles.text(RepoFiles.path(".dockerignore")).lines().map(String::strip).toList();
        if (ignored.contains("*")) {
            assertTrue(ignored.containsAll(List.of("!pom.xml", "!proto/", "!src/main/")), ".dockerignore keeps the build's inputs");
        }
    }

    private static JsonNode mountedYaml(Service service, String configFlag) {
        String path = service.flag(configFlag).orElseThrow(() -> new AssertionError(service.name() + " has no " + configFlag));
        return RepoFiles.yaml(service.hostFile(path));
    }

    private static int listenPort(JsonNode config, String pointer) {
        return Endpoint.parse(config.at(pointer).asText()).port();
    }

    private static Service assertReaches(Compose compose, String address, Service service, int port) {
        assertNotNull(address, () -> "an address for " + service.name());
        Map.Entry<Service, Integer> target = compose.resolve(Endpoint.parse(address));
        assertEquals(service.name(), target.getKey().name(), () -> address + " should reach " + service.name());
        assertEquals(port, target.getValue(), () -> address + " should reach " + service.name() + " on " + port);
        return target.getKey();
    }

    private static Service assertReaches(Compose compose, String address, Service service, int port, String path) {
        assertEquals(path, Endpoint.parse(address).path(), () -> address + " should use the path " + path);
        return assertReaches(compose, address, service, port);
    }

    private Service assertRemoteWritesToPrometheus(String url) {
        assertTrue(prometheus.command().contains("--web.enable-remote-write-receiver"), "Prometheus accepts remote writes");
        return assertReaches(stack, url, prometheus, prometheusPort, "/api/v1/write");
    }

    private JsonNode datasource(String type) {
        List<JsonNode> matches = datasources.stream().filter(ds -> ds.path("type").asText().equals(type)).toList();
        assertEquals(1, matches.size(), () -> "one " + type + " data source");
        return matches.get(0);
    }

    private String uid(String type) {
        String uid = datasource(type).path("uid").asText();
        assertFalse(uid.isBlank(), () -> "the " + type + " data source has a fixed uid");
        return uid;
    }

    private Set<String> uids() {
        return datasources.stream().map(ds -> ds.path("uid").asText()).collect(Collectors.toSet());
    }

    private static List<String> texts(JsonNode array) {
        return array.valueStream().map(JsonNode::asText).toList();
    }

    private static Stream<String> textValues(JsonNode node) {
        return node.isTextual() ? Stream.of(node.asText()) : node.valueStream().flatMap(StackConfigurationTest::textValues);
    }

    private static List<String> addressesAfter(String variable, String text) {
        Matcher matcher = Pattern.compile(variable + "\\W+(https?://[\\w.-]+:\\d+)").matcher(text);
        return matcher.results().map(match -> match.group(1)).toList();
    }

    /** A log line as Thespian pushes it to Loki: one JSON object per line. */
    private static String thespianLogLine(String traceId) {
        return JsonNodeFactory.instance.objectNode()
                .put("timestamp", "2026-11-25T12:00:00.000Z").put("level", "ERROR").put("message", "action failed")
                .put("logger", "org.thespian.engine").put("thread", "grpc-default-executor-0").put("service_name", "payment")
                .put("trace_id", traceId).put("span_id", "00f067aa0ba902b7").put("action", "talk to bank")
                .toString();
    }

    private static JsonNode thespianConfig(Service thespian) {
        Map<String, String> env = thespian.environment();
        if (env.containsKey("CONFIG_JSON")) {
            return RepoFiles.json(env.get("CONFIG_JSON"));
        }
        assertTrue(env.containsKey("CONFIG_FILE"), () -> thespian.name() + " gets CONFIG_JSON or CONFIG_FILE");
        return RepoFiles.json(thespian.hostFile(env.get("CONFIG_FILE")));
    }

    private static int thespianPort(Service thespian) {
        return Integer.parseInt(thespian.environment().getOrDefault("PORT", String.valueOf(THESPIAN_DEFAULT_PORT)));
    }

    private static Set<String> reachable(List<String> entrances, Map<String, Set<String>> callees) {
        Set<String> seen = new HashSet<>(entrances);
        Deque<String> todo = new ArrayDeque<>(entrances);
        while (!todo.isEmpty()) {
            callees.getOrDefault(todo.pop(), Set.of()).stream().filter(seen::add).forEach(todo::add);
        }
        return seen;
    }

    /** The Dockerfile's instructions, continuation lines joined, comments dropped. */
    private static List<String> dockerfile() {
        String text = RepoFiles.text(RepoFiles.path("Dockerfile"));
        return Stream.of(text.replaceAll("(?m)^\\s*#.*\\n", "").replaceAll("\\\\\\n\\s*", " ").split("\\n"))
                .map(String::strip).filter(line -> !line.isEmpty()).toList();
    }

    private static String instruction(List<String> dockerfile, String keyword) {
        return dockerfile.stream().filter(line -> line.startsWith(keyword + " ")).reduce((first, last) -> last)
                .orElseThrow(() -> new AssertionError("the Dockerfile has no " + keyword));
    }
}
