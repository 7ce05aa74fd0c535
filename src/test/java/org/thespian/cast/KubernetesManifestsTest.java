package org.thespian.cast;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.thespian.cast.KubernetesManifests.Manifests;

/**
 * The shop cast for Kubernetes: what each member gets. KubernetesManifestsIT checks the same manifests with the
 * tools from outside the JVM (kubernetes-models, kubectl).
 */
class KubernetesManifestsTest {

    private static final URI COLLECTOR = URI.create("http://otel-collector.observability:4317");
    private static final URI LOKI = URI.create("http://loki.observability:3100");

    static final KubernetesManifests.Target TARGET = new KubernetesManifests.Target(COLLECTOR, LOKI,
            "thespian:1.0");

    private static Cast shop;
    private static Manifests manifests;
    private static List<JsonNode> resources;

    @BeforeAll
    static void render() throws Exception {
        shop = CastParser.parse(CastParserTest.SHOP);
        manifests = KubernetesManifests.render(shop, TARGET);
        resources = parse(manifests.resources());
    }

    @Test
    void everyMemberGetsAConfigMapADeploymentAndAServiceOfItsName() throws IOException {
        Map<String, List<String>> kindsByName = resources.stream().collect(Collectors.groupingBy(
                resource -> resource.at("/metadata/name").asText(), Collectors.mapping(
                        resource -> resource.path("kind").asText(), Collectors.toList())));
        for (Cast.Member member : shop.members()) {
            assertEquals(List.of("Deployment", "Service"), kindsByName.get(member.name()).stream().sorted().toList());
            assertEquals(List.of("ConfigMap"), kindsByName.get(member.name() + "-config"));
            JsonNode configMap = resource("ConfigMap", member.name() + "-config");
            assertEquals(Files.readString(member.config().file().orElseThrow()),
                    configMap.at("/data/config.jsonc").asText(), "the config ships unchanged");
        }
        assertEquals(3 * shop.members().size(), resources.size());
        assertEquals("apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - shop.yaml\n",
                manifests.kustomization());
    }

    @Test
    void deploymentsProbeHealthDrainGracefullyRunAsNonRootAndReportWhereTheFlagsSay() {
        JsonNode payment = resource("Deployment", "payment");
        assertEquals(2, payment.at("/spec/replicas").asInt());
        JsonNode pod = payment.at("/spec/template/spec");
        JsonNode container = pod.at("/containers/0");
        assertEquals("thespian:1.0", container.path("image").asText());
        assertEquals(6379, container.at("/readinessProbe/grpc/port").asInt());
        assertEquals(6379, container.at("/livenessProbe/grpc/port").asInt());
        assertEquals("384Mi", container.at("/resources/limits/memory").asText());
        assertEquals("256Mi", container.at("/resources/requests/memory").asText());
        assertTrue(pod.at("/securityContext/runAsNonRoot").asBoolean());
        assertTrue(container.at("/securityContext/readOnlyRootFilesystem").asBoolean());
        Map<String, String> env = env(container);
        assertEquals(COLLECTOR.toString(), env.get("OTEL_BACKEND_ADDRESS"));
        assertEquals(LOKI.toString(), env.get("LOKI_ADDRESS"));
        assertEquals("payment", env.get("SERVICE_NAME"));
        assertEquals("/etc/thespian/config.jsonc", env.get("CONFIG_FILE"));
        int delay = Integer.parseInt(env.get("THESPIAN_SHUTDOWN_DELAY_SECONDS"));
        int grace = Integer.parseInt(env.get("THESPIAN_SHUTDOWN_GRACE_SECONDS"));
        assertEquals(delay + grace + Shutdown.EXIT_MARGIN_SECONDS, pod.path("terminationGracePeriodSeconds").asInt(),
                "Kubernetes waits for the delay, the drain and the exit before it kills the pod");
        JsonNode service = resource("Service", "payment");
        assertEquals(6379, service.at("/spec/ports/0/port").asInt());
        assertEquals(payment.at("/spec/selector/matchLabels"), service.at("/spec/selector"));
    }

    @Test
    void aMemberWithReplicasGetsAHeadlessServiceSoCallersSpreadCallsOverItsPodsAndTheOthersKeepAClusterIp() {
        for (Cast.Member member : shop.members()) {
            JsonNode spec = resource("Service", member.name()).path("spec");
            if (member.replicas() > 1) {
                assertEquals("None", spec.path("clusterIP").asText(), member.name() + " resolves to each pod");
            } else {
                assertTrue(spec.path("clusterIP").isMissingNode(), member.name() + " keeps its virtual IP: " + spec);
            }
            assertEquals(6379, spec.at("/ports/0/port").asInt());
        }
        assertEquals(List.of("payment"), shop.members().stream().filter(member -> member.replicas() > 1)
                .map(Cast.Member::name).toList(), "the shop has one replicated member, so both kinds are checked");
    }

    @Test
    void readinessAsksWhatSetHealthFlipsAndLivenessWhatOnlyTheProcesssLifeChanges() {
        for (Cast.Member member : shop.members()) {
            JsonNode container = resource("Deployment", member.name()).at("/spec/template/spec/containers/0");
            JsonNode readiness = container.path("readinessProbe");
            JsonNode liveness = container.path("livenessProbe");
            assertEquals("thespian.Thespian", readiness.at("/grpc/service").asText());
            assertEquals("thespian.liveness", liveness.at("/grpc/service").asText());
            int delay = Integer.parseInt(env(container).get("THESPIAN_SHUTDOWN_DELAY_SECONDS"));
            int readinessSeesNotServing = readiness.path("periodSeconds").asInt()
                    * readiness.path("failureThreshold").asInt() + readiness.path("timeoutSeconds").asInt();
            assertTrue(delay > readinessSeesNotServing, "the pod keeps taking calls for " + delay + " s, until"
                    + " readiness has seen NOT_SERVING (" + readinessSeesNotServing + " s), not less");
        }
    }

    @Test
    void aMembersOwnEnvOverridesTheGeneratedOneAndTheGracePeriodFollowsIt() throws Exception {
        Cast cast = CastParser.parse("slow.cast.yaml", """
                name: slow
                members:
                  - name: ledger
                    port: 7301
                    env: {THESPIAN_SHUTDOWN_GRACE_SECONDS: 60, LOKI_ADDRESS: "http://logs:3100"}
                    config: {}
                """, CastParserTest::noFiles);
        List<JsonNode> documents = parse(KubernetesManifests.render(cast, TARGET).resources());
        JsonNode pod = find(documents, "Deployment", "ledger").at("/spec/template/spec");
        List<String> names = pod.at("/containers/0/env").valueStream().map(e -> e.path("name").asText()).toList();
        assertEquals(Set.copyOf(names).size(), names.size(), "one entry per name: " + names);
        Map<String, String> env = env(pod.at("/containers/0"));
        assertEquals("60", env.get("THESPIAN_SHUTDOWN_GRACE_SECONDS"));
        assertEquals("http://logs:3100", env.get("LOKI_ADDRESS"));
        assertEquals(10 + 60 + 5, pod.path("terminationGracePeriodSeconds").asInt());
    }

    @Test
    void aShutdownTimeTheServerWouldRefuseIsACastMistakeNamingTheMember() throws Exception {
        Cast cast = CastParser.parse("slow.cast.yaml", """
                name: slow
                members:
                  - {name: ledger, port: 7301, config: {}}
                  - {name: audit, port: 7302, config: {}, env: {THESPIAN_SHUTDOWN_DELAY_SECONDS: soon}}
                """, CastParserTest::noFiles);
        CastException wrong = assertThrows(CastException.class, () -> KubernetesManifests.render(cast, TARGET));
        assertEquals("member \"audit\": members[1].env.THESPIAN_SHUTDOWN_DELAY_SECONDS: expected a whole number from 0"
                + " to 3600, got \"soon\"", wrong.getMessage());
    }

    /** Every document of a multi-document YAML, as the API server would read it. */
    static List<JsonNode> parse(String yaml) throws IOException {
        return new YAMLMapper().readValues(new YAMLMapper().createParser(yaml), JsonNode.class).readAll().stream()
                .map(JsonNode.class::cast).toList();
    }

    /** A container's env as names to values; Collectors.toMap fails on a name given twice. */
    private static Map<String, String> env(JsonNode container) {
        return container.path("env").valueStream()
                .collect(Collectors.toMap(e -> e.path("name").asText(), e -> e.path("value").asText()));
    }

    private static JsonNode resource(String kind, String name) {
        return find(resources, kind, name);
    }

    static JsonNode find(List<JsonNode> documents, String kind, String name) {
        return documents.stream()
                .filter(r -> r.path("kind").asText().equals(kind) && r.at("/metadata/name").asText().equals(name))
                .findFirst().orElseThrow(() -> new AssertionError("no " + kind + " " + name));
    }

    static boolean onPath(String command) {
        return List.of(System.getenv().getOrDefault("PATH", "").split(":")).stream()
                .anyMatch(dir -> Files.isExecutable(Path.of(dir, command)));
    }
}
