package org.thespian.cli;

import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.MetadataUtils;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.thespian.admin.proto.AdminGrpc;
import org.thespian.admin.proto.GetConfigRequest;
import org.thespian.admin.proto.GetConfigResponse;
import org.thespian.admin.proto.GetFaultsRequest;
import org.thespian.admin.proto.GetStatsRequest;
import org.thespian.admin.proto.GetStatsResponse;
import org.thespian.admin.proto.MethodStats;
import org.thespian.admin.proto.ServingStatus;
import org.thespian.admin.proto.SetConfigRequest;
import org.thespian.admin.proto.SetFaultsRequest;
import org.thespian.admin.proto.SetHealthRequest;
import org.thespian.config.TextFile;
import org.thespian.server.ThespianServer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code java -jar thespian.jar admin --target host:port COMMAND}: the admin service from a shell, with the
 * token from THESPIAN_ADMIN_TOKEN. Usage mistakes exit 2; a refused or failed call exits 1 with its status.
 */
@Command(name = "admin", description = "Call the admin service of a running instance (THESPIAN_ADMIN=true),"
        + " with the token from THESPIAN_ADMIN_TOKEN.")
final class AdminCommand implements Callable<Integer> {

    private static final Pattern TARGET = Pattern.compile("[A-Za-z0-9.\\-]+:[0-9]{1,5}|\\[[0-9a-fA-F:.]+\\]:[0-9]{1,5}");
    private static final long DEADLINE_SECONDS = 10;
    private static final Metadata.Key<String> AUTHORIZATION =
            Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);

    @Option(names = "--target", paramLabel = "HOST:PORT", description = "The instance to call, such as"
            + " localhost:6379 (required).")
    String target;

    @Spec
    CommandSpec spec;

    private final Map<String, String> env;

    AdminCommand(Map<String, String> env) {
        this.env = env;
    }

    /** {@code admin --target host:port} and no command. */
    @Override
    public Integer call() {
        throw Commands.usage(spec, "missing command: get-config, set-config, set-health, stats, get-faults or"
                + " set-faults");
    }

    @Command(name = "get-config", description = "Print the instance's config; its revision goes to stderr.")
    int getConfig() {
        return call(admin -> {
            GetConfigResponse config = admin.getConfig(GetConfigRequest.getDefaultInstance());
            System.err.println("revision " + config.getRevision());
            System.out.println(config.getConfigJson());
        });
    }

    @Command(name = "set-config", description = "Replace the instance's config with FILE's; print the new revision.")
    int setConfig(@Parameters(paramLabel = "FILE", description = "A config file, as CONFIG_FILE takes.") String file) {
        return call(admin -> System.out.println("revision " + admin.setConfig(SetConfigRequest.newBuilder()
                .setConfigJson(read(file)).build()).getRevision()));
    }

    @Command(name = "set-health", description = "Set what the instance's health service reports.")
    int setHealth(@Parameters(paramLabel = "SERVING|NOT_SERVING", completionCandidates = HealthValues.class)
            String text) {
        return call(admin -> {
            ServingStatus status = servingStatus(text);
            ServingStatus previous = admin.setHealth(SetHealthRequest.newBuilder().setStatus(status).build())
                    .getPrevious();
            System.out.println("health " + status + " (was " + previous + ")");
        });
    }

    @Command(name = "stats", description = "Print calls, calls in flight and failures by method.")
    int stats() {
        return call(admin -> System.out.print(table(admin.getStats(GetStatsRequest.getDefaultInstance()))));
    }

    @Command(name = "get-faults", description = "Print the standing fault plan (docs/faults.md).")
    int getFaults() {
        return call(admin -> System.out.println(shownPlan(admin.getFaults(GetFaultsRequest.getDefaultInstance())
                .getPlan())));
    }

    @Command(name = "set-faults", description = "Set the standing fault plan, or clear it with --clear.")
    int setFaults(@Parameters(paramLabel = "PLAN", arity = "0..1",
            description = "Such as payment:abort=UNAVAILABLE@20 (docs/faults.md).") String given,
            @Option(names = "--clear", description = "Remove the standing fault plan.") boolean clear) {
        return call(admin -> {
            // A plan is never blank: clearing is said out loud, so an empty shell variable clears nothing.
            if (clear == (given != null) || given != null && given.isBlank()) {
                throw new UsageError("set-faults takes a plan such as payment:abort=UNAVAILABLE@20, or --clear");
            }
            String plan = clear ? "" : given;
            String previous = admin.setFaults(SetFaultsRequest.newBuilder().setPlan(plan).build()).getPrevious();
            System.out.println("faults " + shownPlan(plan) + " (was " + shownPlan(previous) + ")");
        });
    }

    /** A mistake on the command line, reported as {@code thespian: admin: ...} with exit code 2. */
    private static final class UsageError extends Exception {
        UsageError(String message) {
            super(message);
        }
    }

    /** One call to the admin service. */
    private interface AdminCall {
        void on(AdminGrpc.AdminBlockingStub admin) throws UsageError;
    }

    private int call(AdminCall call) {
        ManagedChannel channel = null;
        try {
            if (target == null) {
                throw new UsageError("--target host:port is required, such as --target localhost:6379");
            }
            if (!TARGET.matcher(target).matches()) {
                throw new UsageError("--target must be host:port, such as localhost:6379, got \"" + target + "\"");
            }
            Optional<String> token = Settings.adminToken(env);
            // GetConfig answers with whatever SetConfig took, up to the size of a config file.
            channel = Grpc.newChannelBuilder(target, InsecureChannelCredentials.create())
                    .maxInboundMessageSize(ThespianServer.MAX_ADMIN_MESSAGE_BYTES)
                    .build();
            AdminGrpc.AdminBlockingStub admin = AdminGrpc.newBlockingStub(channel)
                    .withDeadlineAfter(DEADLINE_SECONDS, TimeUnit.SECONDS);
            if (token.isPresent()) {
                Metadata authorization = new Metadata();
                authorization.put(AUTHORIZATION, "Bearer " + token.get());
                admin = admin.withInterceptors(MetadataUtils.newAttachHeadersInterceptor(authorization));
            }
            call.on(admin);
            return Main.EXIT_OK;
        } catch (UsageError | Settings.InvalidSetting e) {
            System.err.println("thespian: admin: " + e.getMessage());
            return Main.EXIT_USAGE;
        } catch (StatusRuntimeException e) {
            System.err.println("thespian: admin: " + describe(e.getStatus()));
            return Main.EXIT_FAILURE;
        } finally {
            if (channel != null) {
                channel.shutdownNow();
            }
        }
    }

    private static String shownPlan(String plan) {
        return plan.isEmpty() ? "none" : plan;
    }

    /** What set-health takes, for the completion script. */
    static final class HealthValues extends ArrayList<String> {
        HealthValues() {
            super(List.of(ServingStatus.SERVING.name(), ServingStatus.NOT_SERVING.name()));
        }
    }

    private static ServingStatus servingStatus(String text) throws UsageError {
        return switch (text) {
            case "SERVING" -> ServingStatus.SERVING;
            case "NOT_SERVING" -> ServingStatus.NOT_SERVING;
            default -> throw new UsageError("set-health takes SERVING or NOT_SERVING, got \"" + text + "\"");
        };
    }

    /** Bounded and checked as CONFIG_FILE is: a FIFO or a link to /dev/zero is refused at once. */
    private static String read(String file) throws UsageError {
        try {
            return TextFile.read(file);
        } catch (TextFile.Unreadable e) {
            throw new UsageError("set-config " + file + ": " + e.getMessage());
        }
    }

    static String table(GetStatsResponse stats) {
        StringBuilder table = new StringBuilder("config revision " + stats.getConfigRevision() + "\n");
        table.append(String.format("%-24s %10s %10s  %s%n", "method", "calls", "in flight", "failures"));
        for (MethodStats method : stats.getMethodsList()) {
            String failures = method.getFailuresMap().entrySet().stream()
                    .map(entry -> entry.getKey() + "=" + entry.getValue())
                    .collect(Collectors.joining(" "));
            table.append(String.format("%-24s %10d %10d  %s%n", method.getMethod(), method.getCalls(),
                    method.getInFlight(), failures.isEmpty() ? "-" : failures));
        }
        return table.toString();
    }

    private static String describe(Status status) {
        String description = status.getDescription() == null ? "" : ": " + status.getDescription();
        String hint = switch (status.getCode()) {
            case UNIMPLEMENTED -> " (is THESPIAN_ADMIN=true set on that instance?)";
            case UNAUTHENTICATED -> " (set THESPIAN_ADMIN_TOKEN to the instance's token)";
            default -> "";
        };
        return status.getCode() + description + hint;
    }
}
