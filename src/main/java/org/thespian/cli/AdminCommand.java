package org.thespian.cli;

import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.MetadataUtils;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
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

/**
 * {@code java -jar thespian.jar admin --target host:port COMMAND}: the admin service from a shell, with the
 * token from THESPIAN_ADMIN_TOKEN. Usage mistakes exit 2; a refused or failed call exits 1 with its status.
 */
final class AdminCommand {

    static final String USAGE = "usage: admin --target host:port get-config | set-config FILE"
            + " | set-health SERVING|NOT_SERVING | stats | get-faults | set-faults PLAN | set-faults --clear";
    private static final Pattern TARGET = Pattern.compile("[A-Za-z0-9.\\-]+:[0-9]{1,5}|\\[[0-9a-fA-F:.]+\\]:[0-9]{1,5}");
    private static final long DEADLINE_SECONDS = 10;
    private static final Metadata.Key<String> AUTHORIZATION =
            Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);

    private AdminCommand() {
    }

    /** A mistake on the command line, reported as {@code thespian: admin: ...} with exit code 2. */
    private static final class UsageError extends Exception {
        UsageError(String message) {
            super(message);
        }
    }

    static int run(String[] args, Map<String, String> env) {
        ManagedChannel channel = null;
        try {
            if (args.length < 3 || !args[0].equals("--target")) {
                throw new UsageError(USAGE);
            }
            String target = args[1];
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
            return command(admin, args[2], args.length > 3 ? args[3] : null, args.length - 3);
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

    private static int command(AdminGrpc.AdminBlockingStub admin, String command, String argument, int arguments)
            throws UsageError {
        int expected = List.of("set-config", "set-health", "set-faults").contains(command) ? 1 : 0;
        if (arguments != expected) {
            throw new UsageError(USAGE);
        }
        switch (command) {
            case "get-config" -> {
                GetConfigResponse config = admin.getConfig(GetConfigRequest.getDefaultInstance());
                System.err.println("revision " + config.getRevision());
                System.out.println(config.getConfigJson());
            }
            case "set-config" -> System.out.println("revision " + admin.setConfig(SetConfigRequest.newBuilder()
                    .setConfigJson(read(argument)).build()).getRevision());
            case "set-health" -> {
                ServingStatus status = servingStatus(argument);
                ServingStatus previous = admin.setHealth(SetHealthRequest.newBuilder().setStatus(status).build())
                        .getPrevious();
                System.out.println("health " + status + " (was " + previous + ")");
            }
            case "stats" -> System.out.print(table(admin.getStats(GetStatsRequest.getDefaultInstance())));
            case "get-faults" -> System.out.println(shownPlan(admin.getFaults(GetFaultsRequest.getDefaultInstance())
                    .getPlan()));
            case "set-faults" -> {
                // A plan is never blank: clearing is said out loud, so an empty shell variable clears nothing.
                if (argument.isBlank()) {
                    throw new UsageError("set-faults takes a plan such as payment:abort=UNAVAILABLE@20, or --clear");
                }
                String plan = argument.equals("--clear") ? "" : argument;
                String previous = admin.setFaults(SetFaultsRequest.newBuilder().setPlan(plan).build()).getPrevious();
                System.out.println("faults " + shownPlan(plan) + " (was " + shownPlan(previous) + ")");
            }
            default -> throw new UsageError("unknown admin command \"" + command + "\"; " + USAGE);
        }
        return Main.EXIT_OK;
    }

    private static String shownPlan(String plan) {
        return plan.isEmpty() ? "none" : plan;
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
