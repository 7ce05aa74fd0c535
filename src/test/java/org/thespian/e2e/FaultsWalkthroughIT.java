package org.thespian.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.grpc.Metadata;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.stub.MetadataUtils;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.thespian.proto.Nothing;
import org.thespian.testsupport.BufCurl;
import org.thespian.testsupport.ThespianProcess;

/**
 * The steps of docs/faults.md against four jar processes (frontend → checkout → {payment, inventory}): a delay
 * for one request by header, then for every request by SetConfig through the admin command, a replica flipped
 * to NOT_SERVING, and everything lifted again.
 */
class FaultsWalkthroughIT {

    private static final Nothing NOTHING = Nothing.getDefaultInstance();
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String TOKEN = "walkthrough-token";
    /** The delay the fault and the slow config add, which a call either has or has not. */
    private static final long DELAY_MS = 400;
    private static final String LEAF = """
            {"grpc_method_a": {"tracing_name": "%s", "operations": [
                {"Action": {"Sleep": {"tracing_name": "work", "duration_ms": 5}}}]}}""";
    private static final String SLOW_PAYMENT = """
            {"grpc_method_a": {"tracing_name": "charge", "operations": [
                {"Action": {"Sleep": {"tracing_name": "slow bank", "duration_ms": 400}}}]}}""";

    private static ThespianProcess payment;
    private static ThespianProcess inventory;
    private static ThespianProcess checkout;
    private static ThespianProcess frontend;

    @BeforeAll
    static void startCast() {
        // Callers after the peers they call serve (see TracesAcrossInstancesIT): a peer that was not listening yet
        // when its caller started fails that caller's calls for a second or more.
        payment = ThespianProcess.launch(admin("payment", LEAF.formatted("charge")));
        inventory = ThespianProcess.launch(admin("inventory", LEAF.formatted("reserve")));
        payment.awaitServing(); // the two JVMs start side by side
        inventory.awaitServing();
        checkout = ThespianProcess.start(Map.of("SERVICE_NAME", "checkout", "CONFIG_JSON", """
                {"grpc_method_a": {"tracing_name": "checkout", "operations": [{"ConcurrentActions": [
                    {"CallService": {"tracing_name": "pay", "service_address": "127.0.0.1",
                        "service_port": %d, "grpc_method": "A"}},
                    {"CallService": {"tracing_name": "reserve", "service_address": "127.0.0.1",
                        "service_port": %d, "grpc_method": "A"}}]}]}}"""
                .formatted(payment.port(), inventory.port())));
        frontend = ThespianProcess.start(Map.of("SERVICE_NAME", "frontend", "CONFIG_JSON", """
                {"grpc_method_a": {"tracing_name": "page", "operations": [
                    {"Action": {"CallService": {"service_address": "127.0.0.1", "service_port": %d,
                        "grpc_method": "A"}}}]}}""".formatted(checkout.port())));
    }

    private static Map<String, String> admin(String name, String config) {
        return Map.of("SERVICE_NAME", name, "CONFIG_JSON", config, "THESPIAN_ADMIN", "true",
                "THESPIAN_ADMIN_TOKEN", TOKEN);
    }

    @AfterAll
    static void stopCast() {
        for (ThespianProcess process : new ThespianProcess[] {frontend, checkout, inventory, payment}) {
            if (process != null) {
                process.close();
            }
        }
    }

    private static long millis(Runnable call) {
        long start = System.nanoTime();
        call.run();
        return (System.nanoTime() - start) / 1_000_000;
    }

    private static long pageMillis() {
        return millis(() -> frontend.blockingStub().a(NOTHING));
    }

    /**
     * Calls the page until one call takes less than the delay this walkthrough injects: a busy machine may slow any
     * call, but one not delayed is under it within a few tries, where a delayed one never is.
     */
    private static void assertNotDelayed(String what) {
        List<Long> millis = new ArrayList<>();
        for (int call = 0; call < 5; call++) {
            millis.add(pageMillis());
            if (millis.get(call) < DELAY_MS) {
                return;
            }
        }
        throw new AssertionError(what + ": no call of 5 took less than " + DELAY_MS + " ms: " + millis + " ms");
    }

    private static void assertDelayed(long millis, String what) {
        assertTrue(millis >= DELAY_MS, what + ": took " + millis + " ms, less than the " + DELAY_MS + " ms delay");
    }

    private static long pageMillisWithFault(String plan) {
        Metadata headers = new Metadata();
        headers.put(Metadata.Key.of("thespian-fault", Metadata.ASCII_STRING_MARSHALLER), plan);
        return millis(() -> frontend.blockingStub()
                .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers)).a(NOTHING));
    }

    /** Runs {@code java -jar thespian.jar admin --target 127.0.0.1:PORT ...} with the token; returns its stdout. */
    private static String adminCommand(ThespianProcess target, String... command) throws Exception {
        List<String> args = new ArrayList<>(List.of("admin", "--target", "127.0.0.1:" + target.port()));
        args.addAll(List.of(command));
        try (ThespianProcess cli = ThespianProcess.launch(Map.of("THESPIAN_ADMIN_TOKEN", TOKEN),
                args.toArray(String[]::new))) {
            assertEquals(0, cli.awaitExit(Duration.ofSeconds(60)), cli.stderr());
            return String.join("\n", cli.stdout());
        }
    }

    /** {@code buf curl -H 'authorization: Bearer TOKEN' -d BODY .../thespian.admin.v1.Admin/METHOD}; its stdout. */
    private static String adminCall(ThespianProcess target, String method, String body) throws Exception {
        BufCurl.Result call = BufCurl.run("-H", "authorization: Bearer " + TOKEN, "-d", body,
                "http://127.0.0.1:" + target.port() + "/thespian.admin.v1.Admin/" + method);
        assertEquals(0, call.exitCode(), call.toString());
        return call.stdout();
    }

    /** Whether a line of the process's stdout, which a thread reads as it comes, matches within a while. */
    private static boolean logged(ThespianProcess process, Predicate<String> line)
            throws InterruptedException {
        return process.awaitStdout(lines -> lines.stream().anyMatch(line), Duration.ofSeconds(20)).stream()
                .anyMatch(line);
    }

    private static ServingStatus health(ThespianProcess process) {
        return HealthGrpc.newBlockingStub(process.channel()).check(HealthCheckRequest.getDefaultInstance())
                .getStatus();
    }

    @Test
    void theWalkthrough(@TempDir Path dir) throws Exception {
        pageMillis(); // warm-up: connections along the chain
        assertNotDelayed("the chain answers without a delay before any fault");

        // 1. One request slowed at payment, by header; the next one is fast again.
        assertDelayed(pageMillisWithFault("payment:delay=400ms"), "the header's delay");
        assertNotDelayed("only the request that carried the header was slow");
        assertTrue(logged(payment, line -> line.contains("injected fault payment:delay=400ms")
                && line.contains("\"trace_id\"")), "the injection is logged with its trace id");

        // 2. Every request slowed: SetConfig on payment, with the admin command.
        Path slow = dir.resolve("slow-payment.json");
        Files.writeString(slow, SLOW_PAYMENT);
        assertEquals("revision 2", adminCommand(payment, "set-config", slow.toString()).strip());
        assertDelayed(pageMillis(), "every request is slow now");
        assertDelayed(pageMillis(), "every request is slow now, the second");
        // The docs give each step with the jar and without it; the steps below take the buf curl way.
        assertTrue(adminCall(payment, "GetConfig", "{}").contains("slow bank"));
        assertTrue(logged(payment, line -> line.contains("config revision 2 from SetConfig")));

        // 3. A sick replica: inventory reports NOT_SERVING (it still answers calls that reach it).
        assertEquals("health NOT_SERVING (was SERVING)", adminCommand(inventory, "set-health", "NOT_SERVING").strip());
        assertEquals(ServingStatus.NOT_SERVING, health(inventory));

        // 4. Lift it all.
        String original = JSON.writeValueAsString(Map.of("config_json", LEAF.formatted("charge")));
        assertEquals(3, JSON.readTree(adminCall(payment, "SetConfig", original)).get("revision").asInt());
        assertEquals("NOT_SERVING", JSON.readTree(adminCall(inventory, "SetHealth", "{\"status\": \"SERVING\"}"))
                .get("previous").asText());
        assertEquals(ServingStatus.SERVING, health(inventory));
        assertNotDelayed("fast again");

        String stats = adminCommand(payment, "stats");
        assertTrue(stats.startsWith("config revision 3"), stats);
        assertTrue(stats.lines().anyMatch(line -> line.startsWith("thespian.Thespian/A")), stats);
    }

    @Test
    void theAdminServiceIsListedByReflectionOnlyWhereItIsOn() throws Exception {
        BufCurl.Result withAdmin = BufCurl.run("--list-services", "http://127.0.0.1:" + payment.port());
        assertTrue(withAdmin.stdout().lines().anyMatch("thespian.admin.v1.Admin"::equals), withAdmin.toString());
        BufCurl.Result without = BufCurl.run("--list-services", "http://127.0.0.1:" + frontend.port());
        assertEquals(0, without.exitCode(), without.toString());
        assertFalse(without.stdout().contains("thespian.admin"), without.toString());
    }

    @Test
    void theAdminCommandWithoutTheTokenIsRefused() throws Exception {
        try (ThespianProcess cli = ThespianProcess.launch(Map.of(), "admin", "--target",
                "127.0.0.1:" + payment.port(), "get-config")) {
            assertEquals(1, cli.awaitExit(Duration.ofSeconds(60)));
            assertTrue(cli.stderr().contains("UNAUTHENTICATED"), cli.stderr());
        }
    }
}
