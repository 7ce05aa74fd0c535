package org.thespian.cast;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The generated Compose file, parsed back with a YAML parser: what each member gets, for any cast. */
class ComposeFileTest {

    private static final Path CHECKOUT = CastParserTest.SHOP.getParent().getParent();
    private static final Path DEMO_COMPOSE = CHECKOUT.resolve("instrumentation/demo-compose.yaml");
    private static final URI COLLECTOR = URI.create("http://otel-collector:4317");
    private static final URI LOKI = URI.create("http://loki:3100");

    @TempDir
    Path dir;

    private static ComposeFile.Target target(Path castFile, Path composeFile) throws Exception {
        return new ComposeFile.Target(castFile, composeFile, CHECKOUT, COLLECTOR, LOKI,
                ComposeFile.stackServices(CHECKOUT));
    }

    /** The cast as Compose reads it: rendered for {@code out/compose.yaml} in the checkout, then parsed. */
    private static JsonNode compose(Cast cast) throws Exception {
        return new YAMLMapper().readTree(render(cast));
    }

    private static String render(Cast cast) throws Exception {
        return ComposeFile.render(cast, target(CHECKOUT.resolve("x.cast.yaml"), CHECKOUT.resolve("out/compose.yaml")));
    }

    private static Cast cast(String yaml) throws CastException {
        return CastParser.parse("x.cast.yaml", yaml, CastParserTest::noFiles);
    }

    @Test
    void theDemoComposeFileIsWhatTheShopCastGenerates() throws Exception {
        String generated = ComposeFile.render(CastParser.parse(CastParserTest.SHOP),
                target(CastParserTest.SHOP, DEMO_COMPOSE));
        assertEquals(generated, Files.readString(DEMO_COMPOSE), "instrumentation/demo-compose.yaml is stale: run"
                + " java -jar target/thespian.jar cast example-configs/shop.cast.yaml --emit compose --out"
                + " instrumentation/demo-compose.yaml");
    }

    @Test
    void membersGetTelemetryAHealthCheckAMemoryLimitAndStartAfterTheirCallees() throws Exception {
        JsonNode compose = new YAMLMapper().readTree(Files.readString(DEMO_COMPOSE));
        assertEquals("./docker-compose.yaml", compose.at("/include/0").asText());
        JsonNode frontend = compose.at("/services/frontend");
        assertEquals(List.of("CMD", "java", "-jar", "/app/thespian.jar", "healthcheck"),
                frontend.at("/healthcheck/test").valueStream().map(JsonNode::asText).toList());
        assertEquals("384m", frontend.path("mem_limit").asText());
        assertEquals("service_healthy", frontend.at("/depends_on/checkout/condition").asText());
        assertEquals("service_healthy", frontend.at("/depends_on/catalog/condition").asText());
        assertEquals("service_started", frontend.at("/depends_on/otel-collector/condition").asText());
        assertEquals(6379, frontend.at("/ports/0/published").asInt());
        assertEquals(6380, compose.at("/services/catalog/ports/0/published").asInt());
        JsonNode payment = compose.at("/services/payment");
        assertEquals(2, payment.at("/deploy/replicas").asInt());
        assertTrue(payment.path("ports").isMissingNode(), "replicas cannot share a published port");
        JsonNode volume = payment.at("/volumes/0");
        assertEquals("bind", volume.path("type").asText());
        assertEquals("../example-configs/shop/payment.jsonc", volume.path("source").asText());
        assertEquals("/etc/thespian/config.jsonc", volume.path("target").asText());
        assertTrue(volume.path("read_only").asBoolean());
        assertEquals("/etc/thespian/config.jsonc", payment.at("/environment/CONFIG_FILE").asText());
        assertEquals("15s", payment.path("stop_grace_period").asText(),
                "Docker waits for the server's default drain (10 s) and the exit, not its own 10 s");
    }

    @Test
    void inlineConfigsAreMountedAsFilesWithDollarsEscapedAndCyclesGiveNoDependency() throws Exception {
        Cast cast = cast("""
                name: loop
                members:
                  - name: ping
                    port: 7201
                    env: {THESPIAN_SEED: 7}
                    config: {grpc_method_a: {tracing_name: "cost $5", operations: [
                      {Action: {CallService: {service_address: "http://pong", service_port: 6379, grpc_method: A}}}]}}
                  - name: pong
                    port: 7202
                    config: {grpc_method_a: {tracing_name: back, operations: [
                      {Action: {CallService: {service_address: "http://ping", service_port: 6379, grpc_method: B}}}]}}
                """);
        assertEquals(Map.of("ping", List.of("pong"), "pong", List.of()), ComposeFile.startOrder(cast));
        JsonNode compose = compose(cast);
        JsonNode ping = compose.at("/services/ping");
        assertTrue(ping.at("/environment/CONFIG_JSON").isMissingNode(), "no config in the environment");
        assertEquals("/etc/thespian/config.json", ping.at("/environment/CONFIG_FILE").asText());
        assertEquals("ping-config", ping.at("/configs/0/source").asText());
        assertEquals("/etc/thespian/config.json", ping.at("/configs/0/target").asText());
        String content = compose.at("/configs/ping-config/content").asText();
        assertTrue(content.contains("\"cost $$5\""), content);
        assertEquals(cast.members().get(0).config().text(), content.replace("$$", "$"),
                "the config, unchanged once Compose has read its $$");
        assertEquals("7", ping.at("/environment/THESPIAN_SEED").asText());
        assertTrue(ping.path("volumes").isMissingNode());
        assertEquals("..", ping.at("/build/context").asText());
    }

    @Test
    void aLargeInlineConfigIsMountedAsAFileNotPassedThroughTheEnvironment() throws Exception {
        ArrayNode operations = JsonNodeFactory.instance.arrayNode();
        for (int i = 0; i < 3000; i++) {
            operations.addObject().putObject("Action").putObject("Sleep")
                    .put("tracing_name", "step " + i + " of a long and carefully described batch job")
                    .put("duration_ms", 1);
        }
        ObjectNode config = JsonNodeFactory.instance.objectNode();
        ObjectNode methodA = config.putObject("grpc_method_a");
        methodA.put("tracing_name", "batch");
        methodA.set("operations", operations);
        ObjectNode castJson = JsonNodeFactory.instance.objectNode().put("name", "big");
        castJson.putArray("members").addObject().put("name", "bulk").put("port", 7401).set("config", config);
        Cast cast = CastParser.parse("big.cast.json", castJson.toString(), CastParserTest::noFiles);
        assertTrue(cast.members().get(0).config().text().length() > 210_000, "a config larger than 210 KB");

        JsonNode compose = compose(cast);
        JsonNode bulk = compose.at("/services/bulk");
        bulk.path("environment").forEach(value -> assertTrue(value.asText().length() < 1000, value.asText()));
        assertEquals("bulk-config", bulk.at("/configs/0/source").asText());
        assertEquals(cast.members().get(0).config().text(), compose.at("/configs/bulk-config/content").asText());
    }

    @Test
    void everyValueIsWrittenLiterallyOutOfReachOfComposesInterpolation() throws Exception {
        Cast cast = cast("""
                name: dollars
                members:
                  - name: till
                    port: 7501
                    env: {GREETING: "pay ${AMOUNT} or $$2 or $EUR"}
                    config: {}
                """);
        JsonNode till = compose(cast).at("/services/till");
        assertEquals("pay $${AMOUNT} or $$$$2 or $$EUR", till.at("/environment/GREETING").asText());
        assertEscaped(compose(cast));
    }

    @Test
    void aConfigPathWithAColonOrADollarIsABindMountInTheLongSyntax() throws Exception {
        Path folder = Files.createDirectories(dir.resolve("team:a$b"));
        Files.writeString(folder.resolve("svc.json"), "{}");
        Path castFile = dir.resolve("odd.cast.yaml");
        Files.writeString(castFile, """
                name: odd
                members:
                  - {name: svc, port: 7601, config: "team:a$b/svc.json"}
                """);
        String text = ComposeFile.render(CastParser.parse(castFile), target(castFile, dir.resolve("compose.yaml")));
        JsonNode volume = new YAMLMapper().readTree(text).at("/services/svc/volumes/0");
        assertEquals("bind", volume.path("type").asText(), text);
        assertEquals("./team:a$$b/svc.json", volume.path("source").asText());
        assertEquals("/etc/thespian/config.json", volume.path("target").asText());
        assertTrue(volume.path("read_only").asBoolean());
    }

    @Test
    void membersNamedLikeAStackServiceAreRefusedWithAHint() throws Exception {
        assertTrue(ComposeFile.stackServices(CHECKOUT).containsAll(Set.of("otel-collector", "loki", "tempo",
                "prometheus", "grafana")), "read from " + ComposeFile.STACK);
        for (String name : List.of("loki", "otel-collector")) {
            Cast cast = cast("""
                    name: clash
                    members:
                      - {name: api, port: 7701, config: {}}
                      - {name: %s, port: 7702, config: {}}
                    """.formatted(name));
            CastException refused = assertThrows(CastException.class, () -> render(cast));
            assertEquals("member \"" + name + "\": members[1].name: the observability stack"
                    + " (instrumentation/docker-compose.yaml) has a service named \"" + name + "\"; rename the member,"
                    + " e.g. \"clash-" + name + "\"", refused.getMessage());
        }
    }

    @Test
    void theAdminTokenIsReadFromAVariableAndNeverWrittenIntoTheFile() throws Exception {
        Cast cast = cast("""
                name: guarded
                members:
                  - name: back-office
                    port: 7801
                    env: {THESPIAN_ADMIN: "true", THESPIAN_ADMIN_TOKEN: "t0ken-$ecret"}
                    config: {}
                """);
        String text = render(cast);
        assertFalse(text.contains("t0ken"), text);
        assertEquals("${THESPIAN_ADMIN_TOKEN_BACK_OFFICE:?the admin token of member back-office}",
                new YAMLMapper().readTree(text).at("/services/back-office/environment/THESPIAN_ADMIN_TOKEN").asText());
        assertTrue(text.contains("# Admin tokens are not written here: set THESPIAN_ADMIN_TOKEN_BACK_OFFICE"), text);
    }

    @Test
    void theStopPeriodCoversAMembersOwnDelayAndGrace() throws Exception {
        Cast cast = cast("""
                name: slow
                members:
                  - name: ledger
                    port: 7901
                    env: {THESPIAN_SHUTDOWN_DELAY_SECONDS: 3, THESPIAN_SHUTDOWN_GRACE_SECONDS: 60}
                    config: {}
                """);
        assertEquals("68s", compose(cast).at("/services/ledger/stop_grace_period").asText());
    }

    /** Every string in the document has its dollars doubled: none is a lone {@code $}. */
    private static void assertEscaped(JsonNode node) {
        if (node.isTextual()) {
            assertFalse(node.asText().replace("$$", "").contains("$"), node.asText());
        }
        node.forEach(ComposeFileTest::assertEscaped);
    }

    @Test
    void envValuesThatYamlCouldReadAsAnotherTypeAreQuotedSoComposeAndKubernetesGetTheText() throws Exception {
        Cast cast = CastParser.parse("env.cast.yaml", """
                name: env
                members:
                  - {name: solo, port: 7000, config: {}, env: {A: yes, B: off, C: 0777, D: 0x1F, E: 0o17, F: "1:30"}}
                """, CastParserTest::noFiles);
        String compose = render(cast);
        for (String line : List.of("A: \"yes\"", "B: \"off\"", "C: \"0777\"", "D: \"0x1F\"", "E: \"0o17\"",
                "F: \"1:30\"")) {
            assertTrue(compose.contains("      " + line + "\n"), () -> line + " in " + compose);
        }
    }
}
