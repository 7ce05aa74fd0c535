package org.thespian.ui;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.BufferedReader;
import java.io.File;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.api.parallel.Execution;
import org.junit.jupiter.api.parallel.ExecutionMode;
import org.thespian.proto.Nothing;
import org.thespian.proto.ThespianGrpc;
import org.thespian.testsupport.Loopback;
import org.thespian.testsupport.ThespianProcess;

/**
 * The live view as users start it (the jar as a process): on by default for a cast, off unless asked for a single
 * instance, refused when misconfigured, one switch with the admin service, and the page in a real browser.
 */
@Execution(ExecutionMode.CONCURRENT) // each test starts processes of its own
class LiveViewIT {

    private static final Nothing NOTHING = Nothing.getDefaultInstance();
    private static final Duration EXIT = Duration.ofSeconds(60);
    private static final Pattern URL = Pattern.compile("http://127\\.0\\.0\\.1:[0-9]+/");
    private static final Path CHECKOUT = Path.of(System.getProperty("user.dir"));
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    /** The shop cast of example-configs on free ports, so that it runs beside anything on 6379-6383. */
    private Path shopOnFreePorts() throws Exception {
        String cast = Files.readString(CHECKOUT.resolve("example-configs/shop.cast.yaml"));
        Matcher ports = Pattern.compile("port: 63[78][0-9]").matcher(cast);
        StringBuilder moved = new StringBuilder();
        while (ports.find()) {
            ports.appendReplacement(moved, "port: " + ThespianProcess.freePort());
        }
        ports.appendTail(moved);
        Files.createDirectories(dir.resolve("shop"));
        try (var configs = Files.list(CHECKOUT.resolve("example-configs/shop"))) {
            for (Path config : configs.toList()) {
                Files.copy(config, dir.resolve("shop").resolve(config.getFileName()));
            }
        }
        Path file = dir.resolve("shop.cast.yaml");
        Files.writeString(file, moved.toString());
        return file;
    }

    private static int entrancePort(Path cast) throws Exception {
        Matcher port = Pattern.compile("port: ([0-9]+)").matcher(Files.readString(cast));
        assertTrue(port.find());
        return Integer.parseInt(port.group(1));
    }

    private static URI awaitUrl(ThespianProcess process) throws InterruptedException {
        List<String> stdout = process.awaitStdout(lines -> lines.stream().anyMatch(line -> URL.matcher(line).find()),
                EXIT);
        Matcher url = URL.matcher(String.join("\n", stdout));
        assertTrue(url.find(), "no live view URL: " + stdout + process.stderr());
        return URI.create(url.group());
    }

    private static HttpResponse<String> get(URI view, String path) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(view.resolve(path)).timeout(Duration.ofSeconds(20)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void aCastServesTheViewByDefaultAndPrintsItsUrlInTheMemberTable() throws Exception {
        Path cast = shopOnFreePorts();
        // 8080, the default, is live-view.md's demo's too: not while DocCommandsIT starts that.
        try (Loopback.ReservedPorts defaultView = new Loopback.ReservedPorts(List.of(8080));
                ThespianProcess process = ThespianProcess.start(Map.of("PORT", Integer.toString(entrancePort(cast))),
                        "cast", cast.toString())) {
            URI view = awaitUrl(process);
            assertTrue(view.getPort() >= 8080 && view.getPort() < 8180, view.toString());
            assertTrue(process.stdout().stream().anyMatch(line -> line.equals("live view: " + view)), process.stdout()
                    .toString());
            JsonNode graph = JSON.readTree(get(view, "/api/graph").body());
            assertEquals(5, graph.path("services").size(), graph.toString());
            process.terminate();
            assertEquals(0, process.awaitExit(EXIT), process.stderr());
        }
    }

    @Test
    void uiOffServesNoViewAndABadUiStopsTheCastBeforeItStarts() throws Exception {
        Path cast = shopOnFreePorts();
        try (ThespianProcess process = ThespianProcess.start(Map.of("PORT", Integer.toString(entrancePort(cast))),
                "cast", cast.toString(), "--ui", "off")) {
            process.terminate();
            assertEquals(0, process.awaitExit(EXIT), process.stderr());
            assertFalse(String.join("\n", process.stdout()).contains("live view"), process.stdout().toString());
        }
        try (ThespianProcess process = ThespianProcess.launch(Map.of(), "cast", cast.toString(), "--ui",
                "0.0.0.0:" + ThespianProcess.freePort())) {
            assertEquals(2, process.awaitExit(EXIT));
            assertTrue(process.stderr().matches("thespian: --ui 0\\.0\\.0\\.0:[0-9]+ can be reached from other machines:"
                    + " set THESPIAN_ADMIN_TOKEN \\(the page asks for it once\\), or bind the live view to 127\\.0\\.0\\.1"),
                    process.stderr());
            assertTrue(process.stdout().stream().noneMatch(line -> line.startsWith("cast shop")), "nothing started");
        }
    }

    @Test
    void aSingleInstanceServesTheViewOnlyWhenAskedAndSetFaultsIsTheSameSwitch() throws Exception {
        Map<String, String> env = Map.of("SERVICE_NAME", "payment", "THESPIAN_ADMIN", "true",
                "THESPIAN_UI", "127.0.0.1:0");
        try (ThespianProcess instance = ThespianProcess.start(env)) {
            URI view = awaitUrl(instance);
            String target = "127.0.0.1:" + instance.port();
            assertEquals("faults payment:abort=UNAVAILABLE (was none)", admin(target, "set-faults",
                    "payment:abort=UNAVAILABLE"));
            assertEquals("payment:abort=UNAVAILABLE", JSON.readTree(get(view, "/api/faults").body()).path("plan")
                    .asText());
            assertTrue(instance.awaitStdout(lines -> lines.stream().anyMatch(line -> line.contains(
                    "standing fault plan set by SetFaults: payment:abort=UNAVAILABLE")), EXIT).stream()
                    .anyMatch(line -> line.contains("set by SetFaults")), "the change is logged");
            StatusRuntimeException error = assertThrows(StatusRuntimeException.class,
                    () -> instance.blockingStub().a(NOTHING));
            assertEquals(Status.Code.UNAVAILABLE, error.getStatus().getCode());
            assertEquals("payment:abort=UNAVAILABLE", admin(target, "get-faults"));
            assertEquals("faults none (was payment:abort=UNAVAILABLE)", admin(target, "set-faults", "--clear"));
            instance.blockingStub().a(NOTHING);
            JsonNode members = JSON.readTree(get(view, "/api/members").body()).path("members");
            assertEquals("payment", members.get(0).path("name").asText());
        }
        try (ThespianProcess instance = ThespianProcess.start(Map.of())) {
            instance.blockingStub().a(NOTHING);
            assertTrue(instance.stdout().stream().noneMatch(line -> line.contains("Live view")), "off by default");
        }
    }

    private static String admin(String target, String... command) throws Exception {
        List<String> args = new ArrayList<>(List.of("admin", "--target", target));
        args.addAll(List.of(command));
        try (ThespianProcess cli = ThespianProcess.launch(Map.of(), args.toArray(String[]::new))) {
            assertEquals(0, cli.awaitExit(EXIT), cli.stderr());
            return String.join("\n", cli.stdout()).strip();
        }
    }

    /**
     * The page in headless Chromium: the shop's graph, counts rising without a reload, a trace's waterfall, a fault
     * applied and cleared from the page as a gRPC client sees it, no console errors, no request leaving the origin.
     * It writes the screenshots docs/live-view.md shows: {@code -Dthespian.screenshots=docs/images} puts them there.
     */
    @Test
    void thePageInARealBrowser() throws Exception {
        requireBrowser();
        Path cast = shopOnFreePorts();
        int entrance = entrancePort(cast);
        try (ThespianProcess process = ThespianProcess.start(Map.of("PORT", Integer.toString(entrance)), "cast",
                cast.toString(), "--ui", "127.0.0.1:0")) {
            URI view = awaitUrl(process);
            ThespianGrpc.ThespianBlockingStub frontend = process.blockingStub();
            Path shots = CHECKOUT.resolve(System.getProperty("thespian.screenshots", "target/live-view"));
            String transcript = drive(line -> {
                switch (line) {
                    case "STEP counts" -> callSeveral(frontend, 6);
                    case "STEP applied" -> {
                        for (int i = 0; i < 3; i++) {
                            StatusRuntimeException error = assertThrows(StatusRuntimeException.class,
                                    () -> frontend.a(NOTHING), "the page's fault reaches a gRPC client");
                            assertEquals(Status.Code.UNAVAILABLE, error.getStatus().getCode());
                            assertTrue(error.getStatus().getDescription().contains(
                                    "injected fault: payment:abort=UNAVAILABLE"), error.getStatus().getDescription());
                        }
                    }
                    // payment fails about one call in five by itself: one of several goes through
                    case "STEP cleared" -> assertTrue(callSeveral(frontend, 10) > 0, "calls succeed once cleared");
                    default -> throw new AssertionError("an unknown step: " + line);
                }
            }, view.toString(), shots.toString());
            assertTrue(transcript.contains("RESULT {\"problems\":[]}"), transcript);
            assertTrue(process.stdout().stream().anyMatch(line -> line.contains(
                    "standing fault plan set by the live view: payment:abort=UNAVAILABLE")), "the change is logged");
            assertTrue(Files.size(shots.resolve("live-view.png")) > 10_000, "a screenshot of the graph");
        }
    }

    /** A view with a token: the page asks for it once, then shows the figures, also after a reload. */
    @Test
    void thePageAsksForTheTokenOnce() throws Exception {
        requireBrowser();
        try (ThespianProcess instance = ThespianProcess.start(Map.of("SERVICE_NAME", "payment",
                "THESPIAN_UI", "127.0.0.1:0", "THESPIAN_ADMIN_TOKEN", "s3cret-s3cret-s3cret"))) {
            URI view = awaitUrl(instance);
            assertEquals(401, get(view, "/api/graph").statusCode());
            String transcript = drive(line -> {
                throw new AssertionError("no steps expected: " + line);
            }, view.toString(), "-", "s3cret-s3cret-s3cret", "payment");
            assertTrue(transcript.contains("RESULT {\"problems\":[]}"), transcript);
        }
    }

    private interface Step {
        void act(String line) throws Exception;
    }

    /**
     * Runs the browser driver with {@code args}, acting on each {@code STEP} line it prints and answering {@code go};
     * returns its output once it exited 0.
     */
    private static String drive(Step step, String... args) throws Exception {
        Path driver = CHECKOUT.resolve(".ci/npm/drive-live-view.mjs");
        List<String> command = new ArrayList<>(List.of("node", driver.toString()));
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command).directory(driver.getParent().toFile())
                .redirectErrorStream(true);
        if (System.getProperty("thespian.screenshots") == null) {
            // The pictures in target/ are for no one to look at: no pause for the graph to settle its labels.
            builder.environment().put("SETTLE_MS", "0");
        }
        Process node = builder.start();
        List<String> output = new ArrayList<>();
        try (BufferedReader lines = new BufferedReader(new InputStreamReader(node.getInputStream(),
                StandardCharsets.UTF_8)); OutputStream say = node.getOutputStream()) {
            for (String line = lines.readLine(); line != null; line = lines.readLine()) {
                output.add(line);
                if (line.startsWith("STEP ")) {
                    step.act(line);
                    say.write("go\n".getBytes(StandardCharsets.UTF_8));
                    say.flush();
                }
            }
        } finally {
            if (!node.waitFor(120, TimeUnit.SECONDS)) {
                node.destroyForcibly();
            }
        }
        String transcript = String.join("\n", output);
        assertEquals(0, node.exitValue(), transcript);
        return transcript;
    }

    private static int callSeveral(ThespianGrpc.ThespianBlockingStub frontend, int calls) {
        int ok = 0;
        for (int i = 0; i < calls; i++) {
            try {
                frontend.a(NOTHING);
                ok++;
            } catch (StatusRuntimeException e) {
                // payment's own failures
            }
        }
        return ok;
    }

    /** CI installs Chromium and playwright-core (.ci/run) and requires them; elsewhere this test skips with a hint. */
    private static void requireBrowser() {
        boolean installed = Files.isDirectory(CHECKOUT.resolve(".ci/npm/node_modules/playwright-core"))
                && Files.isExecutable(Path.of(System.getenv().getOrDefault("CHROMIUM", "/usr/bin/chromium")))
                && onPath("node");
        String hint = "no browser to drive: apt-get install chromium and npm ci --prefix .ci/npm (as .ci/run does)";
        if (!installed && System.getenv("CI") != null) {
            throw new AssertionError(hint);
        }
        Assumptions.assumeTrue(installed, hint);
    }

    private static boolean onPath(String program) {
        for (String folder : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
            if (Files.isExecutable(Path.of(folder, program))) {
                return true;
            }
        }
        return false;
    }
}
