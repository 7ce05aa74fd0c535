package org.thespian.cast;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ComposeFileTest {

    private static final Path CHECKOUT = CastParserTest.SHOP.getParent().getParent();
    private static final Path DEMO_COMPOSE = CHECKOUT.resolve("instrumentation/demo-compose.yaml");
    private static final URI COLLECTOR = URI.create("http://otel-collector:4317");
    private static final URI LOKI = URI.create("http://loki:3100");

    @Test
    void theDemoComposeFileIsWhatTheShopCastGenerates() throws Exception {
        String generated = ComposeFile.render(CastParser.parse(CastParserTest.SHOP),
                new ComposeFile.Target(CastParserTest.SHOP, DEMO_COMPOSE, CHECKOUT, COLLECTOR, LOKI));
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
        assertEquals("../example-configs/shop/payment.jsonc:/etc/thespian/config.jsonc:ro",
                payment.at("/volumes/0").asText());
        assertEquals("/etc/thespian/config.jsonc", payment.at("/environment/CONFIG_FILE").asText());
    }

    @Test
    void inlineConfigsTravelAsConfigJsonWithDollarsEscapedAndCyclesGiveNoDependency() throws Exception {
        Cast cast = CastParser.parse("loop.cast.yaml", """
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
                """, CastParserTest::noFiles);
        assertEquals(Map.of("ping", List.of("pong"), "pong", List.of()), ComposeFile.startOrder(cast));
        JsonNode ping = new YAMLMapper().readTree(ComposeFile.render(cast, new ComposeFile.Target(
                CHECKOUT.resolve("loop.cast.yaml"), CHECKOUT.resolve("out/compose.yaml"), CHECKOUT, COLLECTOR, LOKI)))
                .at("/services/ping");
        String configJson = ping.at("/environment/CONFIG_JSON").asText();
        assertTrue(configJson.contains("\"cost $$5\""), configJson);
        assertFalse(configJson.contains("\n"), "one line");
        assertEquals("7", ping.at("/environment/THESPIAN_SEED").asText());
        assertTrue(ping.path("volumes").isMissingNode());
        assertEquals("..", ping.at("/build/context").asText());
    }

    @Test
    void envValuesThatYamlCouldReadAsAnotherTypeAreQuotedSoComposeAndKubernetesGetTheText() throws Exception {
        Cast cast = CastParser.parse("env.cast.yaml", """
                name: env
                members:
                  - {name: solo, port: 7000, config: {}, env: {A: yes, B: off, C: 0777, D: 0x1F, E: 0o17, F: "1:30"}}
                """, CastParserTest::noFiles);
        String compose = ComposeFile.render(cast, new ComposeFile.Target(CHECKOUT.resolve("env.cast.yaml"),
                CHECKOUT.resolve("out/compose.yaml"), CHECKOUT, COLLECTOR, LOKI));
        for (String line : List.of("A: \"yes\"", "B: \"off\"", "C: \"0777\"", "D: \"0x1F\"", "E: \"0o17\"",
                "F: \"1:30\"")) {
            assertTrue(compose.contains("      " + line + "\n"), () -> line + " in " + compose);
        }
    }
}
