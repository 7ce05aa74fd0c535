package org.thespian.cast;

import io.grpc.ChannelCredentials;
import io.grpc.ClientInterceptor;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.thespian.cast.Cast.Member;
import org.thespian.cast.Cast.Replica;
import org.thespian.config.ConfigSource.LoadedConfig;
import org.thespian.config.Peer;
import org.thespian.engine.Dice;
import org.thespian.server.ProcessResources;
import org.thespian.server.Instrumentation;
import org.thespian.server.PeerDirectory;
import org.thespian.server.Rehearsal;
import org.thespian.server.RuntimeOptions;
import org.thespian.server.ServerLimits;
import org.thespian.server.ServerGroup;
import org.thespian.server.StandingFaults;
import org.thespian.server.ThespianServer;

/**
 * A cast running in this JVM: one {@link ThespianServer} per replica of each member, the first on the member's port
 * and the others on free ones, all sharing one {@link ProcessResources}. A call to {@code http://<member>:6379}, as the
 * configs say, reaches that member's loopback ports, taking turns at its replicas, so the configs run here
 * unchanged.
 */
public final class CastServers implements ServerGroup {

    static final String LOOPBACK = "127.0.0.1";

    /**
     * How one member runs: its telemetry (under its own service name), failure rolls, limits, and what may
     * change it at run time (fault plans naming it, the hop limit, the admin service).
     */
    public record ReplicaSetup(Instrumentation instrumentation, Dice dice, ServerLimits limits, RuntimeOptions runtime) {
    }

    /** A replica of a member as it runs here. */
    public record Running(Replica replica, ThespianServer server) {
        public Member member() {
            return replica.member();
        }

        /** The member's name, or the replica's instance id when the member has several. */
        public String name() {
            return member().replicas() == 1 ? member().name() : replica.instanceId();
        }

        public String address() {
            return LOOPBACK + ":" + server.port();
        }
    }

    private final List<Running> running;
    private final ProcessResources resources;

    private CastServers(List<Running> running, ProcessResources resources) {
        this.running = List.copyOf(running);
        this.resources = resources;
    }

    /**
     * Starts every member, or none: when a port cannot be bound, the members already started are stopped and the
     * error names the member.
     *
     * @param clientInterceptors what every peer call passes through (trace propagation), shared by all members
     * @param shared             the peer timeout and the engine's CPU threads, for all members
     */
    public static CastServers start(Cast cast, ChannelCredentials peerTls, List<ClientInterceptor> clientInterceptors,
            ServerLimits shared, Function<Replica, ReplicaSetup> setupOf) throws IOException {
        Map<Replica, Integer> ports = ports(cast);
        ProcessResources resources = ProcessResources.open(peerTls, clientInterceptors, shared, directory(ports));
        List<Running> running = new ArrayList<>();
        for (Map.Entry<Replica, Integer> place : ports.entrySet()) {
            Replica replica = place.getKey();
            ReplicaSetup setup = setupOf.apply(replica);
            try {
                running.add(new Running(replica, ThespianServer.start(place.getValue(), loaded(replica.member()),
                        setup.dice(), setup.instrumentation(), setup.limits(), setup.runtime(), resources)));
            } catch (IOException e) {
                new CastServers(running, resources).stop(Duration.ZERO);
                String who = replica.member().replicas() == 1 ? "" : " (replica " + replica.instanceId() + ")";
                throw new IOException("member \"" + replica.member().name() + "\"" + who + " cannot listen on port "
                        + place.getValue(), e);
            }
        }
        try {
            resources.connectPeers();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return new CastServers(running, resources);
    }

    /** Every replica of every member as it will serve, with the setup {@code setupOf} gives it: a {@link Rehearsal}. */
    public static List<Rehearsal.Part> rehearsalParts(Cast cast, Function<Replica, ReplicaSetup> setupOf) {
        return cast.members().stream().flatMap(member -> member.instances().stream()).map(replica -> {
            ReplicaSetup setup = setupOf.apply(replica);
            return new Rehearsal.Part(loaded(replica.member()), setup.dice(), setup.instrumentation(), setup.limits(),
                    setup.runtime());
        }).toList();
    }

    /** The member's config as GetConfig shows it: its text, and the file it came from. */
    private static LoadedConfig loaded(Member member) {
        Cast.MemberConfig config = member.config();
        String origin = config.file().map(file -> "member \"" + member.name() + "\" of the cast, " + file)
                .orElse("member \"" + member.name() + "\" of the cast, inline");
        return new LoadedConfig(config.config(), origin, config.text());
    }

    /**
     * Where each replica listens, in the cast's order: the first on its member's port, the others on free ports,
     * picked now so that every channel to a member knows all of its replicas from the start.
     */
    static Map<Replica, Integer> ports(Cast cast) {
        List<Replica> replicas = cast.members().stream().flatMap(member -> member.instances().stream()).toList();
        Iterator<Integer> free = FreePorts.take((int) replicas.stream().filter(r -> r.number() > 1).count())
                .iterator();
        Map<Replica, Integer> ports = new LinkedHashMap<>();
        replicas.forEach(replica -> ports.put(replica, replica.number() == 1 ? replica.member().port() : free.next()));
        return ports;
    }

    /**
     * {@code http://<member>:6379} is the loopback port of each of the member's replicas; every other peer is where
     * it says.
     */
    static PeerDirectory directory(Map<Replica, Integer> ports) {
        Map<Peer, List<Peer>> local = ports.entrySet().stream().collect(Collectors.groupingBy(
                place -> new Peer(place.getKey().member().name(), Cast.MEMBER_PORT, false), LinkedHashMap::new,
                Collectors.mapping(place -> new Peer(LOOPBACK, place.getValue(), false), Collectors.toList())));
        return peer -> local.getOrDefault(peer, List.of(peer));
    }

    /** "5 members", or with replicas "5 members, 6 instances": what runs here. */
    public String headcount() {
        long members = running.stream().filter(member -> member.replica().number() == 1).count();
        return members + " members" + (members == running.size() ? "" : ", " + running.size() + " instances");
    }

    public List<Running> members() {
        return running;
    }

    /** The standing fault plan the members share: requests entering the cast anywhere get it. */
    @Override
    public StandingFaults standingFaults() {
        return resources.standingFaults();
    }

    /** Every member reports NOT_SERVING while still taking calls, as a single server does before its drain. */
    @Override
    public void reportNotServing() {
        running.forEach(member -> member.server().reportNotServing());
    }

    /** The calls in flight in all members. */
    @Override
    public int inFlight() {
        return running.stream().mapToInt(member -> member.server().inFlight()).sum();
    }

    /** Stops every member at once, each with a single server's drain within {@code grace}; then what they share. */
    @Override
    public void stop(Duration grace) {
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
            resources.close();
        }
    }
}
