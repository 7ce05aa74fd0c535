package org.thespian.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.thespian.testsupport.BufCurl;
import org.thespian.testsupport.ThespianProcess;

/**
 * The wire contract seen by a client that shares no code with Thespian: {@code buf curl} (Go), as users
 * would use grpcurl, through server reflection and through the proto file alone.
 */
class ExternalClientIT {

    private static ThespianProcess thespian;

    @BeforeAll
    static void start() {
        BufCurl.executable(); // skips (or fails under CI) before a jar starts for nothing
        thespian = ThespianProcess.start(Map.of("SERVICE_NAME", "external", "CONFIG_JSON", """
                {"grpc_method_a": {"tracing_name": "ok", "operations": [
                   {"Action": {"Sleep": {"tracing_name": "nap", "duration_ms": 10}}}]},
                 "grpc_method_b": {"tracing_name": "broken", "operations": [
                   {"Action": {"Sleep": {"tracing_name": "always fails", "duration_ms": 1, "failure_chance": 1}}}]}}"""));
    }

    @AfterAll
    static void stop() {
        if (thespian != null) {
            thespian.close();
        }
    }

    @Test
    void reflectionListsTheServices() throws Exception {
        BufCurl.Result result = buf("--list-services", url(""));
        assertEquals(0, result.exitCode(), result.toString());
        List<String> services = result.stdout().lines().toList();
        assertTrue(services.containsAll(List.of("thespian.Thespian", "grpc.health.v1.Health")), result.toString());
    }

    @Test
    void methodAAnswersAnEmptyMessageThroughReflection() throws Exception {
        BufCurl.Result result = buf(url("thespian.Thespian/A"));
        assertEquals(0, result.exitCode(), result.toString());
        assertEquals("{}", result.stdout().strip());
    }

    @Test
    void theProtoFileAloneIsEnoughToCallEveryMethod() throws Exception {
        String schema = Path.of(System.getProperty("thespian.basedir", "."), "proto", "thespian.proto").toString();
        for (String method : List.of("A", "C")) {
            BufCurl.Result result = buf("--schema", schema, url("thespian.Thespian/" + method));
            assertEquals(0, result.exitCode(), result.toString());
        }
    }

    @Test
    void aFailedMethodIsInternalWithThePathOfTheFailure() throws Exception {
        BufCurl.Result result = buf(url("thespian.Thespian/B"));
        assertTrue(result.exitCode() != 0, result.toString());
        JsonNode error = new ObjectMapper().readTree(result.stderr());
        assertEquals("internal", error.path("code").asText(), result.toString());
        assertTrue(error.path("message").asText().startsWith(
                "broken > always fails: failed by chance (failure_chance 1.0, rolled 0."), result.toString());
    }

    @Test
    void healthServiceSaysServing() throws Exception {
        BufCurl.Result result = buf(url("grpc.health.v1.Health/Check"));
        assertEquals(0, result.exitCode(), result.toString());
        assertTrue(result.stdout().contains("\"status\": \"SERVING\""), result.toString());
    }

    private static String url(String path) {
        return "http://127.0.0.1:" + thespian.port() + "/" + path;
    }

    private static BufCurl.Result buf(String... args) throws IOException, InterruptedException {
        return BufCurl.run(args);
    }
}
