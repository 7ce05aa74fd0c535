package org.thespian.config;

import com.fasterxml.jackson.databind.json.JsonMapper;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every example config loads as documented in its header, and each scenario is wired as its comments say: callers
 * call the port and method their peer is documented to serve.
 */
class ExampleConfigsTest {

    /** The examples this test knows; a new example needs its checks here, so the list must match the folder. */
    private static final Set<String> CHECKED = Set.of("standalone.jsonc", "caller.jsonc", "chain-frontend.jsonc",
            "chain-backend.jsonc", "chain-database.jsonc", "flaky-caller.jsonc", "flaky-dependency.jsonc",
            "original-example.json");

    @Test
    void everyExampleIsChecked() {
        assertEquals(CHECKED, Examples.all().stream().map(file -> file.getFileName().toString()).collect(Collectors.toSet()));
    }

    @TestFactory
    Stream<DynamicTest> everyExampleLoadsAndTheCommentedOnesSayHowToRunThem() {
        return Examples.all().stream().map(file -> DynamicTest.dynamicTest(file.getFileName().toString(), () -> {
            String name = file.getFileName().toString();
            Config config = load(name);
            assertFalse(config.methods().isEmpty(), "at least one method does something");
            if (name.endsWith(".jsonc")) {
                int port = documentedPort(name);
                assertTrue(Examples.read(file).contains("just ping " + port + " "), "the header shows the call on port " + port);
            }
        }));
    }

    @Test
    void standaloneUsesEveryLocalConstruct() throws ConfigException {
        Config standalone = load("standalone.jsonc");
        Function a = standalone.function(Method.A).orElseThrow();

        assertTrue(standalone.function(Method.B).isPresent());
        assertFalse(standalone.function(Method.C).isPresent());
        assertTrue(a.operations().stream().anyMatch(Operation.Single.class::isInstance));
        assertTrue(a.operations().stream().anyMatch(Operation.Concurrent.class::isInstance));
        assertTrue(actions(a).anyMatch(Function.class::isInstance));
        assertTrue(actions(a).anyMatch(action -> action instanceof Action.Sleep sleep && sleep.failureChance().isPresent()));
        assertEquals(List.of(), actions(a).filter(Action.CallService.class::isInstance).toList());
    }

    @Test
    void callerCallsStandalone() throws ConfigException {
        assertCalls("caller.jsonc", "standalone.jsonc", Method.B);
    }

    @Test
    void chainCallsFrontendToBackendToDatabase() throws ConfigException {
        assertCalls("chain-frontend.jsonc", "chain-backend.jsonc", Method.A);
        assertCalls("chain-backend.jsonc", "chain-database.jsonc", Method.A);
        assertCalls("chain-backend.jsonc", "chain-database.jsonc", Method.B);
        assertEquals(List.of(6379, 6380, 6381), Stream.of("chain-frontend.jsonc", "chain-backend.jsonc",
                "chain-database.jsonc").map(ExampleConfigsTest::documentedPort).toList());
    }

    @Test
    void flakyCallerCallsItsFlakyDependencyConcurrentlyWithLocalWork() throws ConfigException {
        assertCalls("flaky-caller.jsonc", "flaky-dependency.jsonc", Method.A);

        Function caller = load("flaky-caller.jsonc").function(Method.A).orElseThrow();
        assertTrue(caller.operations().stream().anyMatch(operation -> operation instanceof Operation.Concurrent group
                && group.actions().stream().anyMatch(Action.CallService.class::isInstance)
                && group.actions().stream().anyMatch(Action.Sleep.class::isInstance)));
        Function dependency = load("flaky-dependency.jsonc").function(Method.A).orElseThrow();
        assertTrue(actions(dependency).anyMatch(action -> action instanceof Action.Sleep sleep
                && sleep.failureChance().orElse(0) >= 0.1 && sleep.failureChance().orElse(0) <= 0.3));
    }

    @Test
    void originalExampleLoadsTheSameMinifiedInConfigJson() throws Exception {
        Path file = Examples.file("original-example.json");
        String minified = JsonMapper.builder().build().readTree(Examples.read(file)).toString();

        Config fromFile = load("original-example.json");
        assertEquals(fromFile, ConfigSource.load(Map.of("CONFIG_JSON", minified)).config());
        assertEquals(Set.of(Method.A, Method.B), fromFile.methods().keySet());
    }

    /** The caller calls {@code method} on localhost at the port the callee's header runs it on, and the callee serves it. */
    private static void assertCalls(String caller, String callee, Method method) throws ConfigException {
        Peer peer = new Peer("localhost", documentedPort(callee), false);
        assertTrue(load(caller).methods().values().stream().flatMap(ExampleConfigsTest::actions).anyMatch(action ->
                        action instanceof Action.CallService call && call.peer().equals(peer) && call.method() == method),
                caller + " calls " + method + " on " + peer.display());
        assertTrue(load(callee).function(method).isPresent(), callee + " serves " + method);
    }

    private static Config load(String name) throws ConfigException {
        String file = Examples.file(name).toString();
        ConfigSource.LoadedConfig loaded = ConfigSource.load(Map.of("CONFIG_FILE", file));
        assertEquals("CONFIG_FILE " + file, loaded.origin());
        return loaded.config();
    }

    /** The PORT in the header's command line that runs {@code name}. */
    private static int documentedPort(String name) {
        Matcher run = Pattern.compile("PORT=(\\d+) .*CONFIG_FILE=example-configs/" + Pattern.quote(name))
                .matcher(Examples.read(Examples.file(name)));
        assertTrue(run.find(), name + " documents the command that runs it");
        return Integer.parseInt(run.group(1));
    }

    /** Every action of {@code function}, nested ones included. */
    private static Stream<Action> actions(Function function) {
        return function.operations().stream()
                .flatMap(operation -> operation.actions().stream())
                .flatMap(action -> action instanceof Function nested
                        ? Stream.concat(Stream.of(action), actions(nested))
                        : Stream.of(action));
    }
}
