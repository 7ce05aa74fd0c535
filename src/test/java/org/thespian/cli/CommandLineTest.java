package org.thespian.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import picocli.CommandLine;

/** The command line in this JVM: help, usage errors and both forms of flags, for every command. */
class CommandLineTest {

    private record Result(int exitCode, String out, String err) {
    }

    /** {@code args} through the tree Main builds for them, which must answer as the whole tree does. */
    private static Result run(String... args) {
        Result result = run(Commands.commandLine(Map.of("PORT", "80a"), args), args);
        assertEquals(run(Commands.commandLine(Map.of("PORT", "80a")), args), result, "the whole tree's answer");
        return result;
    }

    private static Result run(CommandLine commandLine, String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int exitCode = commandLine.setOut(new PrintWriter(out, true)).setErr(new PrintWriter(err, true))
                .execute(args);
        return new Result(exitCode, out.toString(), err.toString());
    }

    @ParameterizedTest
    @CsvSource(delimiterString = " => ", value = {
        "serve       => PORT CONFIG_JSON THESPIAN_ADMIN_TOKEN",
        "healthcheck => 127.0.0.1:$PORT",
        "validate    => CONFIG_JSON",
        "schema      => JSON Schema",
        "load        => --target --method --concurrency --rate --duration --warmup --timeout -H --connections"
                + " --max-in-flight --json --report-every",
        "admin       => --target get-config set-config set-health stats get-faults set-faults",
        "admin set-faults => PLAN --clear",
        "admin set-health => SERVING|NOT_SERVING",
        "cast        => FILE --ui --emit --out --otel-backend-address --loki-address --image",
        "demo        => --serve --ui",
        "completion  => bash zsh",
    })
    void helpOnEachCommandExitsZeroAndNamesItsFlags(String command, String names) {
        for (String help : List.of("--help", "-h")) {
            List<String> args = new java.util.ArrayList<>(List.of(command.split(" ")));
            args.add(help);
            Result result = run(args.toArray(String[]::new));

            assertEquals(0, result.exitCode(), result.err());
            assertTrue(result.out().startsWith("Usage: java -jar thespian.jar " + command + " "), result.out());
            for (String name : names.split(" ")) {
                assertTrue(result.out().contains(name), name + " in\n" + result.out());
            }
            assertEquals("", result.err());
        }
    }

    @Test
    void theTopLevelHelpListsEveryCommandAndTheExitCodes() {
        for (String help : List.of("--help", "-h", "help")) {
            Result result = run(help);

            assertEquals(0, result.exitCode(), result.err());
            for (String command : List.of("serve", "healthcheck", "validate", "schema", "load", "admin", "cast",
                    "demo", "completion", "--version")) {
                assertTrue(result.out().contains(command), command + " in\n" + result.out());
            }
            assertTrue(result.out().contains("Exit codes: 0 done, 1 a failure at run time"), result.out());
        }
        assertEquals(run("--help").out(), run("help").out());
        assertEquals(run("cast", "--help").out(), run("help", "cast").out());
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', quoteCharacter = '`', value = {
        "cast shop.cast.yaml --emitt compose | thespian cast: unknown option \"--emitt\"; did you mean --emit?",
        "cast shop.cast.yaml --emitt=compose | thespian cast: unknown option \"--emitt\"; did you mean --emit?",
        "load --target 127.0.0.1:1 --concurency 4 | thespian load: unknown option \"--concurency\"; did you mean"
                + " --concurrency or --connections?",
        "demo --serv | thespian demo: unknown option \"--serv\"; did you mean --serve?",
        "admin --targt localhost:6379 stats | thespian admin: unknown option \"--targt\"; did you mean --target?",
        "admin --target localhost:6379 set-faults --claer | thespian admin set-faults: unknown option \"--claer\";"
                + " did you mean --clear?",
        "sevre | thespian: unknown command \"sevre\"; did you mean serve?",
        "admin --target localhost:6379 stat | thespian admin: Unmatched argument at index 3: 'stat'; did you mean"
                + " stats?",
        "validate --strict | thespian validate: unknown option \"--strict\"; see java -jar thespian.jar validate"
                + " --help",
        "schema extra | thespian schema: Unmatched argument at index 1: 'extra'; see java -jar thespian.jar schema"
                + " --help",
        "xyzzy | thespian: unknown command \"xyzzy\"; see java -jar thespian.jar --help",
        "cast | thespian cast: Missing required parameter: 'FILE'; see java -jar thespian.jar cast --help",
        "demo --ui off | thespian demo: --ui goes with --serve; see java -jar thespian.jar demo --help",
    })
    void aUsageMistakeExitsTwoWithOneLineNamingItAndASuggestion(String args, String line) {
        Result result = run(args.split(" "));

        assertEquals(2, result.exitCode());
        assertEquals(line + System.lineSeparator(), result.err());
        assertEquals("", result.out());
    }

    @Test
    void flagsTakeTheirValueAfterAnEqualsSignAsAfterASpace(@TempDir Path dir) throws Exception {
        Result spaced = run("cast", "example-configs/shop.cast.yaml", "--emit", "kubernetes", "--out",
                dir.resolve("spaced").toString(), "--image", "registry.example/thespian:1");
        Result joined = run("cast", "example-configs/shop.cast.yaml", "--emit=kubernetes",
                "--out=" + dir.resolve("joined"), "--image=registry.example/thespian:1");

        assertEquals(0, spaced.exitCode(), spaced.err());
        assertEquals(0, joined.exitCode(), joined.err());
        String manifests = Files.readString(dir.resolve("joined/shop.yaml"));
        assertTrue(manifests.contains("image: registry.example/thespian:1"), manifests);
        assertEquals(Files.readString(dir.resolve("spaced/shop.yaml")), manifests);

        Result load = run("load", "--target=127.0.0.1:1", "--duration=3");
        assertEquals(2, load.exitCode());
        assertEquals("thespian load: --duration must be a duration such as 500ms, 30s, 10m or 1h, got \"3\""
                + System.lineSeparator(), load.err());
    }

    @Test
    void withoutACommandTheJarServesAsServeDoes() {
        // PORT=80a: serving stops at its first check, before anything starts, as it does for `serve`.
        assertEquals(2, Main.run(new String[0], Map.of("PORT", "80a")));
        assertEquals(2, Main.run(new String[] {"serve"}, Map.of("PORT", "80a")));
        assertEquals(2, run().exitCode(), "the command line's own top, which Main skips without arguments");
        assertEquals(0, Main.run(new String[] {"--version"}, Map.of("PORT", "80a")));
    }

    @Test
    void completionPrintsABashAndZshScriptForEveryCommandAndFlag() {
        Result result = run("completion");

        assertEquals(0, result.exitCode(), result.err());
        assertTrue(result.out().contains("complete -F _complete_thespian"), result.out());
        assertTrue(result.out().contains("ZSH_VERSION"), "zsh loads it through bashcompinit");
        for (String word : List.of("serve", "set-faults", "'--emit'", "'--report-every'", "'--clear'")) {
            assertTrue(result.out().contains(word), word);
        }
    }

    /** The script, sourced in a real bash, asked to complete the last of {@code words} as a shell would ask it. */
    @ParameterizedTest
    @CsvSource(delimiterString = " => ", value = {
        "thespian cast x.yaml --emit '' => compose kubernetes",
        "thespian cast x.yaml --emit k => kubernetes",
        "thespian load --target localhost:6379 --method '' => A B C",
        "thespian admin --target localhost:6379 set-health '' => SERVING NOT_SERVING",
        "thespian admin --target localhost:6379 set-health N => NOT_SERVING",
    })
    void theCompletionScriptOffersTheValuesOfAFlagThatTakesOneOfAFewInBash(String words, String offered,
            @TempDir Path dir) throws Exception {
        Path script = dir.resolve("thespian.bash");
        Files.writeString(script, run("completion").out());
        // compopt only complains outside a completion the shell started; the words are what bash would split.
        String ask = "source \"$1\"; compopt() { :; }; COMP_WORDS=(" + words + ");"
                + " COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); COMP_LINE=\"${COMP_WORDS[*]}\"; COMP_POINT=${#COMP_LINE};"
                + " _complete_thespian; echo \"${COMPREPLY[*]}\"";
        Process bash = new ProcessBuilder("bash", "-c", ask, "bash", script.toString()).redirectErrorStream(true)
                .start();
        String out = new String(bash.getInputStream().readAllBytes(), StandardCharsets.UTF_8);

        assertEquals(0, bash.waitFor(), out);
        assertEquals(offered + "\n", out);
    }

    /** What --help shows a flag takes is what completion offers, so the two cannot drift apart. */
    @Test
    void aFlagThatCompletesFromAFewValuesNamesThemInItsHelp() {
        List<String> labelled = new ArrayList<>();
        forEachCommand(Commands.commandLine(Map.of()), command -> command.getCommandSpec().args().stream()
                .filter(arg -> arg.completionCandidates() != null)
                .forEach(arg -> {
                    List<String> candidates = new ArrayList<>();
                    arg.completionCandidates().forEach(candidates::add);
                    assertEquals(arg.paramLabel(), String.join("|", candidates), command.getCommandName());
                    labelled.add(arg.paramLabel());
                }));
        assertEquals(List.of("A|B|C", "SERVING|NOT_SERVING", "compose|kubernetes"), labelled);
    }

    private static void forEachCommand(CommandLine command, Consumer<CommandLine> action) {
        action.accept(command);
        command.getSubcommands().values().forEach(sub -> forEachCommand(sub, action));
    }
}
