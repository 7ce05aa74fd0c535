package org.thespian.cli;

import io.grpc.ServerInterceptor;
import java.io.IOException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.stream.Stream;
import org.slf4j.LoggerFactory;
import org.thespian.cast.Cast;
import org.thespian.cast.Cast.Member;
import org.thespian.cast.Cast.Replica;
import org.thespian.cast.CastServers;
import org.thespian.config.ConfigException;
import org.thespian.engine.Dice;
import org.thespian.server.Instrumentation;
import org.thespian.server.ServerLimits;
import org.thespian.telemetry.Telemetry;
import org.thespian.ui.LiveView;
import org.thespian.ui.LiveViewSettings;
import org.thespian.ui.Topology;

/**
 * A cast in this JVM, from the environment: the process's variables (telemetry, logging, grace) once, each
 * member's own (its {@code env} over the process's) checked before anything starts.
 */
final class CastRunner {

    /** What the cast sets per member, so the process's values of these mean nothing here. */
    private static final List<String> PER_MEMBER = List.of("CONFIG_JSON", "CONFIG_FILE", "PORT", "SERVICE_NAME");

    /** The cast with the settings of the process and of each member, and its live view unless it is off. */
    record Checked(Cast cast, Settings process, Map<String, Settings> members, Optional<LiveViewSettings> view) {
    }

    /** A mistake in the environment of the process or of a member, in one line. */
    static final class InvalidEnvironment extends Exception {
        InvalidEnvironment(String message) {
            super(message);
        }
    }

    private static final String MAX_IN_FLIGHT = "THESPIAN_MAX_IN_FLIGHT";

    private CastRunner() {
    }

    /** The cast without a live view (the demo that plays once, and tests). */
    static Checked check(Cast cast, Map<String, String> env) throws InvalidEnvironment {
        return check(cast, env, Optional.of("off"));
    }

    /** @param ui {@code --ui} as given: HOST:PORT, off, or empty for the default (127.0.0.1:8080 or the next free) */
    static Checked check(Cast cast, Map<String, String> env, Optional<String> ui) throws InvalidEnvironment {
        Checked checked = checkMembers(cast, env);
        try {
            return new Checked(cast, checked.process(), checked.members(), LiveViewSettings.parse(ui.orElse(null),
                    "--ui", Settings.adminToken(env), env));
        } catch (LiveViewSettings.Invalid | Settings.InvalidSetting e) {
            throw new InvalidEnvironment(e.getMessage());
        }
    }

    private static Checked checkMembers(Cast cast, Map<String, String> env) throws InvalidEnvironment {
        Settings process = settings(env, Map.of(), cast.name(), "");
        Map<String, Settings> members = new HashMap<>();
        int instances = cast.members().stream().mapToInt(Member::replicas).sum();
        for (Member member : cast.members()) {
            Map<String, String> own = new HashMap<>(member.env());
            if (!env.containsKey(MAX_IN_FLIGHT)) {
                own.putIfAbsent(MAX_IN_FLIGHT, Integer.toString(memberMaxInFlight(instances)));
            }
            members.put(member.name(), settings(env, own, member.name(), "member \"" + member.name() + "\": "));
        }
        return new Checked(cast, process, members, Optional.empty());
    }

    /**
     * The members' replicas share one heap, so by default each may hold its share of the calls one instance would:
     * a request through four members is four calls in flight.
     */
    private static int memberMaxInFlight(int instances) {
        return ServerLimits.defaultMaxInFlight(Runtime.getRuntime().maxMemory(), instances);
    }

    private static Settings settings(Map<String, String> env, Map<String, String> own, String serviceName,
            String where) throws InvalidEnvironment {
        Map<String, String> merged = new HashMap<>(env);
        merged.keySet().removeAll(PER_MEMBER);
        merged.putAll(own);
        merged.put("SERVICE_NAME", serviceName);
        try {
            return Settings.from(merged);
        } catch (Settings.InvalidSetting | ConfigException e) {
            throw new InvalidEnvironment(where + e.getMessage());
        }
    }

    /**
     * Starts telemetry, every member and the live view, or nothing.
     *
     * @param extraInterceptors what else watches each member's calls (the demo's call outcomes)
     */
    static Serving.Running<CastServers> start(Checked checked, boolean traceConsole,
            Function<Member, List<ServerInterceptor>> extraInterceptors) throws IOException {
        return Serving.start(checked.cast().name(), checked.process(), traceConsole, checked.view(),
                servers(checked, extraInterceptors));
    }

    /**
     * Every member, wired as a single instance is from its own settings, with the per-process budgets (peer timeout,
     * CPU threads, memory) shared.
     */
    private static Serving.Start<CastServers> servers(Checked checked,
            Function<Member, List<ServerInterceptor>> extraInterceptors) {
        return telemetry -> {
            Settings process = checked.process();
            String warmUp = WarmUp.rehearse(process.warmup(), telemetry, process.limits(),
                    rehearsal -> CastServers.rehearsalParts(checked.cast(), replica -> setup(checked, replica,
                            rehearsal.instrumentationFor(replica.member().name(), replica.instanceId()))));
            CastServers servers = startMembers(checked, telemetry, extraInterceptors);
            return new Serving.Started<>(servers, Topology.of(servers), warmUp);
        };
    }

    private static CastServers startMembers(Checked checked, Telemetry telemetry,
            Function<Member, List<ServerInterceptor>> extraInterceptors) throws IOException {
        Settings process = checked.process();
        return CastServers.start(checked.cast(), process.peerTls(),
                telemetry.instrumentation().clientInterceptors(), process.limits(),
                replica -> setup(checked, replica, withInterceptors(telemetry.instrumentationFor(
                        replica.member().name(), replica.instanceId()), extraInterceptors.apply(replica.member()))));
    }

    /** How {@code replica} runs, with {@code instrumentation}. */
    private static CastServers.ReplicaSetup setup(Checked checked, Replica replica, Instrumentation instrumentation) {
        Member member = replica.member();
        Settings own = checked.members().get(member.name());
        // Replicas roll dice of their own, or they would fail in lockstep; a member alone rolls by its name, as it
        // did before replicas ran here.
        String dice = member.replicas() == 1 ? member.name() : replica.instanceId();
        return new CastServers.ReplicaSetup(instrumentation, Dice.of(own.seed(), dice), own.limits(),
                own.runtime().withServiceName(member.name()).withInstanceId(replica.instanceId()));
    }

    private static Instrumentation withInterceptors(Instrumentation instrumentation, List<ServerInterceptor> extra) {
        return new Instrumentation(
                Stream.concat(instrumentation.serverInterceptors().stream(), extra.stream()).toList(),
                instrumentation.clientInterceptors(), instrumentation.actionListener(),
                instrumentation.runtimeEvents());
    }

    /** {@code cast FILE}: runs until SIGTERM or Ctrl-C, then stops every member gracefully. */
    static int serveUntilSignalled(Checked checked) {
        return Serving.untilSignalled(checked.cast().name(), checked.process(), checked.view(),
                servers(checked, member -> List.of()), running -> {
                    showMembers(checked, running);
                    CastAnnouncement.log(checked, running);
                    System.out.println("Ctrl-C stops them all.");
                    System.out.flush();
                });
    }

    /**
     * Starts the cast, prints its member table and runs {@code play}, which stops it; a failure to start is
     * one line on stderr and the exit code.
     */
    static int whileRunning(Checked checked, boolean traceConsole,
            Function<Member, List<ServerInterceptor>> extraInterceptors, Consumer<Serving.Running<CastServers>> play) {
        return Serving.run(checked.cast().name(), checked.process(), traceConsole, checked.view(),
                servers(checked, extraInterceptors), running -> {
                    showMembers(checked, running);
                    play.accept(running);
                });
    }

    /** The members' admin-token warnings, then their table on stdout. */
    private static void showMembers(Checked checked, Serving.Running<CastServers> running) {
        checked.cast().members().forEach(member -> checked.members().get(member.name()).adminTokenWarning()
                .ifPresent(warning -> LoggerFactory.getLogger(CastRunner.class)
                        .warn("member \"{}\": {}", member.name(), warning)));
        System.out.print(MemberTable.render(checked.cast().name(), running.servers(),
                running.view().map(LiveView::url)));
    }
}
