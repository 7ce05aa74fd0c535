package org.thespian.docs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicContainer;
import org.junit.jupiter.api.DynamicNode;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.parallel.ExecutionMode;
import org.thespian.docs.DocBlocks.Block;
import org.thespian.docs.DocBlocks.NotRun;
import org.thespian.docs.DocBlocks.Serves;
import org.thespian.docs.DocBlocks.Unknown;
import org.thespian.testsupport.Loopback.ReservedPorts;
import org.thespian.testsupport.ThespianProcess;

/**
 * Every fenced shell block of README.md and docs/*.md that can run here, run as written from the repository root
 * (a scratch copy of it made of links, so that what a command writes lands outside the checkout), the blocks of a
 * file in one shell session as a reader's terminal (what one block exports, the next has): each command must
 * succeed, or exit with the code its comment promises ({@code # exit 2}). The last command of a block marked
 * {@code <!-- serves: PORTS -->} is started in the background and waited for until every port listens; the blocks
 * after it in its file run against it, and it is stopped at the next such block or the file's end; a port that
 * other tests hold is waited for, and one the server does not name as its own skips the server and its blocks.
 * A block marked {@code <!-- not run: REASON -->} is listed with its reason. Within a block, {@code mvn} commands are left out
 * (the build running this test made the jar) and so are commands of a tool that is not installed, each with a line
 * saying so; {@code --duration} and {@code --warmup} of the load command are cut to a second and none. A failed
 * command is tried up to eight times, since calls to the shop meet its flaky payment about one time in five (and
 * a fault on one replica of two every other time); THESPIAN_SEED=1 makes those rolls the same from run to run.
 * Docs whose servers share no port run side by side; those that do, one after another.
 */
class DocCommandsIT {

    private static final Path ROOT = Path.of(System.getProperty("thespian.basedir", ".")).toAbsolutePath().normalize();
    /** Programs a reader may not have; their commands are left out here when they are missing. */
    private static final Set<String> TOOLS = Set.of("grpcurl", "buf", "just", "jq", "curl", "openssl", "docker",
            "kubectl", "kind", "node");
    /** What .ci/run installs: missing under CI, a failure rather than a command left out. */
    private static final Set<String> CI_TOOLS = Set.of("buf", "just");
    private static final Duration BLOCK_TIMEOUT = Duration.ofSeconds(120);
    private static final Duration SERVER_START = Duration.ofSeconds(60);
    private static final Duration PORTS_FREE = Duration.ofSeconds(60);
    private static final String RETRYING = """
            shopt -s expand_aliases
            __run() {
              local try code
              for try in 1 2 3 4 5 6 7 8; do
                eval "$1" && return 0
                code=$?
                sleep 0.3
              done
              echo "the doc's command failed 8 times (exit $code): $1" >&2
              exit 1
            }
            __expect() {
              eval "$2"
              local code=$?
              if [ "$code" != "$1" ]; then echo "the doc's command exited $code, its comment says $1: $2" >&2; exit 1; fi
            }
            """;

    private static Path scratch;
    /** The docs that run side by side, for {@link #stopServers()}. */
    private static final List<Group> GROUPS = new CopyOnWriteArrayList<>();

    /** A server block's process (bash and what it started), or why it is not there for the blocks after it. */
    private record Server(Block block, Process process, String problem) {
    }

    /**
     * Docs whose servers share a port (README.md, faults.md and live-view.md all serve 6379), run one after another
     * in one thread, with the server of the doc running now.
     */
    private static final class Group {
        private final List<Path> docs = new ArrayList<>();
        private final Set<Integer> ports = new HashSet<>();
        private volatile Server server;
        private volatile ReservedPorts reserved;

        private void stop() throws InterruptedException {
            Server running = server;
            if (running != null && running.process() != null) {
                kill(running.process());
            }
            server = null;
            if (reserved != null) {
                reserved.close();
                reserved = null;
            }
        }
    }

    @BeforeAll
    static void scratchCheckout() throws IOException {
        scratch = Files.createTempDirectory("doc-commands");
        try (Stream<Path> entries = Files.list(ROOT)) {
            for (Path entry : entries.filter(entry -> !entry.getFileName().toString().equals(".git")).toList()) {
                Files.createSymbolicLink(scratch.resolve(entry.getFileName()), entry);
            }
        }
    }

    @AfterAll
    static void stopServers() throws InterruptedException {
        for (Group group : GROUPS) {
            group.stop();
        }
    }

    @Test
    void everyBlockIsRunOrSaysWhyNot() throws IOException {
        List<Block> blocks = new ArrayList<>();
        for (Path doc : DocBlocks.docs(ROOT)) {
            blocks.addAll(DocBlocks.of(ROOT, doc));
        }
        List<String> problems = new ArrayList<>();
        for (Block block : blocks) {
            if (block.marker() instanceof Unknown unknown) {
                problems.add(block.where() + ": " + unknown.comment() + " is neither <!-- not run: REASON --> nor"
                        + " <!-- serves: PORTS -->");
            } else if (block.marker() instanceof NotRun notRun) {
                if (notRun.reason().isBlank()) {
                    problems.add(block.where() + ": not run, but says not why");
                }
                System.out.println("[NOT RUN] " + block.where() + ": " + notRun.reason());
            }
        }
        assertTrue(problems.isEmpty(), String.join("\n", problems));
        assertTrue(blocks.stream().filter(block -> !(block.marker() instanceof NotRun)).count() >= 20,
                "fewer than 20 blocks run: " + blocks);
    }

    @TestFactory
    Stream<DynamicNode> everyBlockThatCanRunHereRuns() throws IOException {
        List<DynamicNode> groups = new ArrayList<>();
        for (Group group : groups()) {
            GROUPS.add(group);
            List<DynamicNode> files = new ArrayList<>();
            for (Path doc : group.docs) {
                List<DynamicTest> tests = DocBlocks.of(ROOT, doc).stream()
                        .filter(block -> !(block.marker() instanceof NotRun || block.marker() instanceof Unknown))
                        .map(block -> DynamicTest.dynamicTest(block.where(), () -> run(group, block))).toList();
                if (!tests.isEmpty()) {
                    // A file's server is stopped once its blocks have run: the stream is closed after its last test.
                    files.add(DynamicContainer.dynamicContainer(ROOT.relativize(doc).toString(),
                            tests.stream().onClose(() -> {
                                try {
                                    group.stop();
                                } catch (InterruptedException e) {
                                    Thread.currentThread().interrupt();
                                }
                            })));
                }
            }
            if (!files.isEmpty()) {
                groups.add(DynamicContainer.dynamicContainer(config -> config.displayName(files.stream()
                        .map(DynamicNode::getDisplayName).collect(Collectors.joining(", ")))
                        .executionMode(ExecutionMode.CONCURRENT).childExecutionMode(ExecutionMode.SAME_THREAD)
                        .children(files)));
            }
        }
        return groups.stream();
    }

    /** The docs in groups that share no port, in their order (README.md, then docs/*.md by name) within each. */
    private static List<Group> groups() throws IOException {
        List<Path> docs = DocBlocks.docs(ROOT);
        List<Group> groups = new ArrayList<>();
        for (Path doc : docs) {
            Set<Integer> ports = new HashSet<>();
            DocBlocks.of(ROOT, doc).stream().filter(block -> block.marker() instanceof Serves)
                    .forEach(block -> ports.addAll(((Serves) block.marker()).ports()));
            Group joined = new Group();
            for (Group group : List.copyOf(groups)) {
                if (!Collections.disjoint(group.ports, ports)) {
                    groups.remove(group);
                    joined.docs.addAll(group.docs);
                    joined.ports.addAll(group.ports);
                }
            }
            joined.docs.add(doc);
            joined.docs.sort(Comparator.comparingInt(docs::indexOf));
            joined.ports.addAll(ports);
            groups.add(joined);
        }
        return groups;
    }

    private static void run(Group group, Block block) throws Exception {
        List<String> commands = runnable(block);
        if (block.marker() instanceof Serves serves) {
            group.stop();
            serve(group, block, serves, commands);
            return;
        }
        Server server = group.server;
        if (server != null && server.problem() != null && server.block().file().equals(block.file())) {
            Assumptions.abort("the server block " + server.block().where() + " above is not running: "
                    + server.problem());
        }
        runInSession(block, commands);
    }

    /**
     * Runs the commands as a reader would in one terminal per doc: what earlier blocks of the file exported (a
     * token, say) is still set, and what these export is kept for the next.
     */
    private static void runInSession(Block block, List<String> commands) throws Exception {
        Path session = session(block);
        StringBuilder script = new StringBuilder(RETRYING);
        script.append("[ -f ").append(session).append(" ] && source ").append(session).append('\n');
        for (String command : commands) {
            String quoted = ansiQuoted(shortened(command));
            script.append(DocBlocks.promisedExit(command).map(code -> "__expect " + code + " " + quoted)
                    .orElse("__run " + quoted)).append('\n');
        }
        script.append("export -p > ").append(session).append('\n');
        Path log = scratch.resolve(name(block, "block"));
        Process bash = bash(script.toString(), log);
        if (!bash.waitFor(BLOCK_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
            kill(bash);
            fail(block.where() + " did not finish within " + BLOCK_TIMEOUT.toSeconds() + " s:\n" + tail(log));
        }
        assertEquals(0, bash.exitValue(), () -> block.where() + " failed:\n" + tail(log));
    }

    /** The block's commands that can run here; each one left out says why on the console. */
    private static List<String> runnable(Block block) {
        List<String> runnable = new ArrayList<>();
        List<String> reasons = new ArrayList<>();
        for (String command : block.commands()) {
            String program = DocBlocks.program(command);
            String reason = program.equals("mvn") ? "mvn: the build that runs this test made the jar"
                    : TOOLS.contains(program) && !installed(program) ? program + " is not installed" : null;
            if (reason == null) {
                runnable.add(command);
                continue;
            }
            if (CI_TOOLS.contains(program) && System.getenv("CI") != null) {
                fail(block.where() + ": " + reason + ", and CI installs it (.ci/run)");
            }
            reasons.add(reason);
            System.out.println("[NOT RUN] " + block.where() + ": " + command.lines().findFirst().orElse("")
                    + "  (" + reason + ")");
        }
        if (runnable.isEmpty()) {
            Assumptions.abort("no command of " + block.where() + " can run here: " + String.join("; ", reasons));
        }
        return runnable;
    }

    /** A block's log: {@code docs-faults.md-300-block.log}; docs run side by side. */
    private static String name(Block block, String kind) {
        return block.file().replace('/', '-') + "-" + block.line() + "-" + kind + ".log";
    }

    /** The file of what a doc's blocks have exported so far. */
    private static Path session(Block block) {
        return scratch.resolve(block.file().replace('/', '-') + ".env");
    }

    private static void serve(Group group, Block block, Serves serves, List<String> commands) throws Exception {
        // Not while LiveViewIT's cast starts, which takes 8080 for its live view as a cast does by default; what else
        // holds a port is waited for.
        group.reserved = new ReservedPorts(serves.ports());
        long freeBy = System.nanoTime() + PORTS_FREE.toNanos();
        for (int port : serves.ports()) {
            while (listening(port)) {
                if (System.nanoTime() > freeBy) {
                    skipWith(group, block, "port " + port + " stayed taken here for " + PORTS_FREE.toSeconds() + " s");
                }
                Thread.sleep(200);
            }
        }
        if (commands.size() > 1) {
            runInSession(block, commands.subList(0, commands.size() - 1));
        }
        Path session = session(block);
        // The server itself, in the background whether or not the doc ends it with '&'.
        String serving = commands.get(commands.size() - 1).replaceFirst("\\s&(\\s*#.*)?$", "$1");
        Path log = scratch.resolve(name(block, "server"));
        Process bash = bash("[ -f " + session + " ] && source " + session + "\n" + serving + "\n", log);
        group.server = new Server(block, bash, "it did not start");
        long deadline = System.nanoTime() + SERVER_START.toNanos();
        for (int port : serves.ports()) {
            // Listening, and by the server's own account: a live view finding 8080 taken moves to the next port.
            while (!listening(port) || !names(log, port)) {
                if (!bash.isAlive() || System.nanoTime() > deadline) {
                    String problem = "did not listen on " + port + " within " + SERVER_START.toSeconds() + " s"
                            + (bash.isAlive() ? "" : " (exit " + bash.exitValue() + ")");
                    if (listening(port) && bash.isAlive()) {
                        skipWith(group, block, "port " + port + " was taken here as it started");
                    }
                    fail(block.where() + " " + problem + ":\n" + tail(log));
                }
                Thread.sleep(100);
            }
        }
        group.server = new Server(block, bash, null);
    }

    private static boolean names(Path log, int port) throws IOException {
        String output = new String(Files.readAllBytes(log), StandardCharsets.UTF_8); // a line may be half written
        return Pattern.compile("\\b" + port + "\\b").matcher(output).find();
    }

    /** Skips the server block, and with it the blocks after it in its doc, saying why. */
    private static void skipWith(Group group, Block block, String problem) throws InterruptedException {
        group.stop();
        group.server = new Server(block, null, problem);
        Assumptions.abort(problem);
    }

    /**
     * SIGKILL to bash and everything it started, the processes without children first, so that each is reaped by its
     * parent at once (an orphan waits for init, which took a second or two here), and waits until all are gone with
     * their ports. Not SIGTERM: the jar's graceful stop is ShutdownIT's to prove; here it only took time.
     */
    private static void kill(Process process) throws InterruptedException {
        List<ProcessHandle> left = new ArrayList<>(process.descendants().toList());
        left.add(process.toHandle());
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
        while (!left.isEmpty() && System.nanoTime() < deadline) {
            left.stream().filter(handle -> handle.children().findAny().isEmpty())
                    .forEach(ProcessHandle::destroyForcibly);
            Thread.sleep(10);
            left.removeIf(handle -> !handle.isAlive());
        }
        left.forEach(ProcessHandle::destroyForcibly);
    }

    private static Process bash(String script, Path log) throws IOException {
        Path file = Files.writeString(log.resolveSibling(log.getFileName() + ".sh"), script);
        ProcessBuilder builder = new ProcessBuilder("bash", file.toString()).directory(scratch.toFile())
                .redirectErrorStream(true).redirectOutput(log.toFile());
        // The jar's class-data archive and C1 alone, as the other tests start it: only quicker to start.
        builder.environment().put("JAVA_TOOL_OPTIONS", String.join(" ", ThespianProcess.quickStartOptions()));
        builder.environment().put("THESPIAN_SEED", "1");
        // The warm-up adds about 2 s to every server a doc starts; WarmUpIT proves it, here it only costs time.
        builder.environment().put("THESPIAN_WARMUP", "off");
        return builder.start();
    }

    /** What a reader sees in a second rather than a minute: the load command's duration cut, no warm-up. */
    private static String shortened(String command) {
        return command.replaceAll("--duration \\S+", "--duration 1s").replaceAll("--warmup \\S+", "--warmup 0s");
    }

    /** {@code $'...'}: bash's quoting that any text survives. */
    private static String ansiQuoted(String text) {
        return "$'" + text.replace("\\", "\\\\").replace("'", "\\'").replace("\n", "\\n") + "'";
    }

    private static boolean listening(int port) {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", port), 500);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private static boolean installed(String program) {
        return Stream.of(System.getenv().getOrDefault("PATH", "").split(File.pathSeparator))
                .anyMatch(dir -> Files.isExecutable(Path.of(dir, program)));
    }

    private static String tail(Path log) {
        try {
            List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
