package org.thespian.cli;

import java.io.PrintWriter;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.function.Supplier;
import org.thespian.load.LoadCommand;
import picocli.AutoComplete;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.HelpCommand;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;
import picocli.CommandLine.UnmatchedArgumentException;

/**
 * The command line, with picocli: every command with its flags, {@code --help} on each, usage errors in one line
 * (with picocli's suggestion for a mistyped flag or command) and exit code 2, and the completion script, all from
 * the same declarations. Without a command the jar serves, configured by its environment.
 */
public final class Commands {

    static final String JAR = "java -jar thespian.jar";

    /** The name the completion script completes: an alias or a wrapper script for {@value #JAR}. */
    static final String COMPLETED_NAME = "thespian";

    private static final String ENVIRONMENT = "%nEnvironment: PORT (6379), SERVICE_NAME, CONFIG_JSON or CONFIG_FILE,"
            + " OTEL_BACKEND_ADDRESS, THESPIAN_INSTANCE_ID (the host name), LOKI_ADDRESS, THESPIAN_SEED,"
            + " THESPIAN_TRACE_CONSOLE, THESPIAN_LOG_LEVEL (INFO), THESPIAN_PEER_CA_FILE, THESPIAN_PEER_TIMEOUT (30s),"
            + " THESPIAN_MAX_IN_FLIGHT (from the heap), THESPIAN_MAX_ACTIONS_PER_REQUEST (100000),"
            + " THESPIAN_MAX_BACKGROUND_CALLS (10000), THESPIAN_SHUTDOWN_DELAY_SECONDS (0),"
            + " THESPIAN_SHUTDOWN_GRACE_SECONDS (10), THESPIAN_CPU_THREADS (cores), THESPIAN_MEMORY_CAP_MB (a quarter"
            + " of the heap), THESPIAN_FAULT_HEADERS (true), THESPIAN_MAX_HOPS (16), THESPIAN_ADMIN,"
            + " THESPIAN_ADMIN_TOKEN, THESPIAN_WATCH_CONFIG, THESPIAN_UI (off), THESPIAN_UI_TRACES (2000),"
            + " THESPIAN_WARMUP (on),"
            + " THESPIAN_MAX_ACTIONS_IN_FLIGHT (from the heap), THESPIAN_MAX_ACTIONS_PER_TRACE (100000), and the"
            + " standard OTEL_* variables. See docs/reference.md.";

    private static final String EXIT_CODES = "%nExit codes: 0 done, 1 a failure at run time (such as a port in use),"
            + " 2 a usage or configuration mistake, 3 out of memory.";

    private Commands() {
    }

    /** The whole command tree; {@code env} configures what the commands start. */
    public static CommandLine commandLine(Map<String, String> env) {
        return commandLine(env, new String[0]);
    }

    /**
     * The tree that parses {@code args}: below the top, only the command they begin with, and none for
     * {@code --version}. picocli reads each command's declarations by reflection, which costs a fresh JVM CPU; the
     * parse is the same either way.
     */
    static CommandLine commandLine(Map<String, String> env, String[] args) {
        Map<String, Supplier<Object>> commands = commands(env);
        CommandLine root = new CommandLine(new Root(env));
        commands.forEach((name, command) -> {
            if (needs(args, name, commands.keySet())) {
                root.addSubcommand(name, command.get());
            }
        });
        root.getCommandSpec().versionProvider(() -> new String[] {Version.text()});
        addHelpOption(root);
        root.setParameterExceptionHandler(Commands::usageError);
        return root;
    }

    /** The commands that show the others: help, and the completion script. */
    private static final Set<String> NEED_ALL = Set.of("help", "completion");

    private static boolean needs(String[] args, String command, Set<String> commands) {
        if (args.length == 0 || NEED_ALL.contains(args[0])) {
            return true;
        }
        if (args[0].equals("--version")) {
            return false;
        }
        return !commands.contains(args[0]) || args[0].equals(command);
    }

    private static Map<String, Supplier<Object>> commands(Map<String, String> env) {
        Map<String, Supplier<Object>> commands = new LinkedHashMap<>();
        commands.put("serve", () -> new Serve(env));
        commands.put("healthcheck", () -> new HealthCheck(env));
        commands.put("validate", () -> new Validate(env));
        commands.put("schema", SchemaCommand::new);
        commands.put("load", () -> new LoadCommand(System.console() != null));
        commands.put("admin", () -> new AdminCommand(env));
        commands.put("cast", () -> new CastCommand(env));
        commands.put("demo", () -> new DemoCommand(env));
        commands.put("help", HelpCommand::new);
        commands.put("completion", Completion::new);
        return commands;
    }

    @Command(name = JAR, synopsisSubcommandLabel = "[COMMAND]",
            description = "Acts out configured gRPC behaviour (thespian.Thespian) so microservice ecosystems can be"
                    + " simulated. Without a command it serves, as `serve` does.",
            commandListHeading = "%nCommands:%n", footer = {ENVIRONMENT, EXIT_CODES})
    private static final class Root implements Callable<Integer> {

        @Option(names = "--version", versionHelp = true, description = "Print the version and exit.")
        boolean version;

        private final Map<String, String> env;

        Root(Map<String, String> env) {
            this.env = env;
        }

        @Override
        public Integer call() {
            return Main.serve(env);
        }
    }

    @Command(name = "serve", description = "Act out CONFIG_JSON (or CONFIG_FILE) as gRPC service"
            + " thespian.Thespian until SIGTERM or Ctrl-C (the default command).", footer = {ENVIRONMENT, EXIT_CODES})
    private static final class Serve implements Callable<Integer> {

        private final Map<String, String> env;

        Serve(Map<String, String> env) {
            this.env = env;
        }

        @Override
        public Integer call() {
            return Main.serve(env);
        }
    }

    /** {@code -h} and {@code --help} on every command that lacks them (picocli's own commands have them). */
    private static void addHelpOption(CommandLine command) {
        CommandSpec spec = command.getCommandSpec();
        if (spec.findOption("--help") == null) {
            spec.addOption(OptionSpec.builder("-h", "--help").usageHelp(true)
                    .description("Print this help and exit.").build());
        }
        command.getSubcommands().values().forEach(Commands::addHelpOption);
    }

    @Command(name = "completion", description = "Print a completion script for bash and zsh (docs/reference.md"
            + "#completion). It completes a command named " + COMPLETED_NAME + ", such as alias " + COMPLETED_NAME
            + "='" + JAR + "': source <(" + COMPLETED_NAME + " completion).")
    private static final class Completion implements Callable<Integer> {

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() {
            PrintWriter out = spec.commandLine().getOut();
            out.print(AutoComplete.bash(COMPLETED_NAME, spec.root().commandLine()));
            out.flush();
            return Main.EXIT_OK;
        }
    }

    /** One line on stderr, naming the command and what is wrong, with picocli's suggestion; exit code 2. */
    private static int usageError(ParameterException error, String[] args) {
        CommandLine command = error.getCommandLine();
        PrintWriter err = command.getErr();
        String message = error.getMessage().lines().findFirst().orElse("");
        List<String> suggestions = List.of();
        if (error instanceof UnmatchedArgumentException unmatched) {
            suggestions = unmatched.getSuggestions();
            String first = unmatched.getUnmatched().get(0);
            if (unmatched.isUnknownOption()) {
                message = "unknown option \"" + first.replaceFirst("=.*", "") + "\"";
            } else if (command.getParent() == null) {
                message = "unknown command \"" + first + "\"";
            }
        }
        String path = qualifiedName(command);
        err.println("thespian" + path + ": " + message + (suggestions.isEmpty()
                ? "; see " + JAR + path + " --help"
                : "; did you mean " + String.join(" or ", suggestions) + "?"));
        err.flush();
        return Main.EXIT_USAGE;
    }

    /** The subcommands' names from the top, each after a space: "" for the top, " admin set-faults" below. */
    private static String qualifiedName(CommandLine command) {
        StringBuilder names = new StringBuilder();
        for (CommandLine at = command; at.getParent() != null; at = at.getParent()) {
            names.insert(0, " " + at.getCommandName());
        }
        return names.toString();
    }

    /** For a command's run time checks: the same line and exit code as picocli's own usage errors. */
    static ParameterException usage(CommandSpec spec, String message) {
        return new ParameterException(spec.commandLine(), message);
    }
}
