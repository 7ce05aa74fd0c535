package org.thespian.cast;

import io.grpc.ChannelCredentials;
import io.grpc.ClientInterceptor;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Function;
import java.util.function.UnaryOperator;
import java.util.stream.Collectors;
import org.thespian.cast.Cast.Member;
import org.thespian.config.ConfigSource.LoadedConfig;
import org.thespian.config.Peer;
import org.thespian.engine.Dice;
import org.thespian.server.Backstage;
import org.thespian.server.Instrumentation;
import org.thespian.server.Rehearsal;
import org.thespian.server.RuntimeOptions;
import org.thespian.server.ServerLimits;
import org.thespian.server.ThespianServer;

/**
 * A cast running in this JVM: one {@link ThespianServer} per member on its port, all sharing one
 * {@link Backstage}. A call to {@code http://<member>:6379}, as the configs say, reaches that member's loopback
 * port, so the configs run here unchanged.
 */
public final class CastStage {

    static final String LOOPBACK = "127.0.0.1";

    /**
     * How one member runs: its telemetry (under its own service name), failure rolls, limits, and what may
     * change it at run time (fault plans naming it, the hop limit, the admin service).
     */
    public record Role(Instrumentation instrumentation, Dice dice, ServerLimits limits, RuntimeOptions runtime) {
    }

    /** A member as it runs here. */
    public record Running(Member member, ThespianServer server) {
        public String address() {
            return LOOPBACK + ":" + server.port();
        }
    }

    private final List<Running> running;
    private final Backstage backstage;

    private CastStage(List<Running> running, Backstage backstage) {
        this.running = List.copyOf(running);
        this.backstage = backstage;
    }

    /**
     * Starts every member, or none: when a port cannot be bound, the members already started are stopped and the
     * error names the member.
     *
     * @param clientInterceptors what every peer call passes through (trace propagation), shared by all members
     * @param shared             the peer timeout and the engine's CPU threads, for all members
     */
    public static CastStage start(Cast cast, ChannelCredentials peerTls, List<ClientInterceptor> clientInterceptors,
            ServerLimits shared, Function<Member, Role> roleOf) throws IOException {
        Backstage backstage = Backstage.open(peerTls, clientInterceptors, shared, directory(cast));
        List<Running> running = new ArrayList<>();
        for (Member member : cast.members()) {
            Role role = roleOf.apply(member);
            try {
                running.add(new Running(member, ThespianServer.start(member.port(), loaded(member),
                        role.dice(), role.instrumentation(), role.limits(), role.runtime(), backstage)));
            } catch (IOException e) {
                new CastStage(running, backstage).stop(Duration.ZERO, Duration.ZERO);
                throw new IOException("member \"" + member.name() + "\" cannot listen on port " + member.port(), e);
            }
        }
        try {
            backstage.connectPeers();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return new CastStage(running, backstage);
    }

    /** Every member as it will serve, with the role {@code roleOf} gives it, for a {@link Rehearsal}. */
    public static List<Rehearsal.Part> rehearsalParts(Cast cast, Function<Member, Role> roleOf) {
        return cast.members().stream().map(member -> {
            Role role = roleOf.apply(member);
            return new Rehearsal.Part(loaded(member), role.dice(), role.instrumentation(), role.limits(),
                    role.runtime());
        }).toList();
    }

    /** The member's config as GetConfig shows it: its text, and the file it came from. */
    private static LoadedConfig loaded(Member member) {
        Cast.MemberConfig config = member.config();
        String origin = config.file().map(file -> "member \"" + member.name() + "\" of the cast, " + file)
                .orElse("member \"" + member.name() + "\" of the cast, inline");
        return new LoadedConfig(config.config(), origin, config.text());
    }

    /** {@code http://<member>:6379} is the member's loopback port; every other peer is where it says. */
    static UnaryOperator<Peer> directory(Cast cast) {
        Map<Peer, Peer> local = cast.members().stream().collect(Collectors.toMap(
                member -> new Peer(member.name(), Cast.MEMBER_PORT, false),
                member -> new Peer(LOOPBACK, member.port(), false)));
        return peer -> local.getOrDefault(peer, peer);
    }

    public List<Running> members() {
        return running;
    }

    /**
     * Stops every member at once, as a single server stops: NOT_SERVING while still taking calls for
     * {@code delay} (THESPIAN_SHUTDOWN_DELAY_SECONDS), then the drain within {@code grace}; then what they share.
     */
    public void stop(Duration delay, Duration grace) {
        running.forEach(member -> member.server().reportNotServing());
        try {
            Thread.sleep(delay.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        ExecutorService stoppers = Executors.newFixedThreadPool(Math.max(1, running.size()));
        try {
            CompletableFuture.allOf(running.stream().map(member -> CompletableFuture.runAsync(() -> {
                try {
                    member.server().stop(grace);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }, stoppers)).toArray(CompletableFuture[]::new)).join();
        } finally {
            stoppers.shutdown();
            backstage.close();
        }
    }
}
