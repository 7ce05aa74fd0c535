package org.thespian.ui;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;
import org.thespian.cast.CastServers;
import org.thespian.config.Action;
import org.thespian.config.Peer;
import org.thespian.server.LiveConfig;
import org.thespian.server.ThespianServer;

/**
 * What the live view shows around the traffic: the services running here (a cast's members, or one instance), their
 * running configs, and the calls those configs make, named as the graph names services.
 */
public final class Topology {

    /** The port every cast member listens on inside Compose and Kubernetes: a peer there is named by its host. */
    static final int MEMBER_PORT = 6379;

    /**
     * One service running here.
     *
     * @param address where it listens, as the member table shows it
     * @param config  its running config, read when asked (the admin service may replace it)
     */
    public record Actor(String name, String address, int port, Supplier<LiveConfig.Revision> config) {
    }

    /** A call a config makes: from a service to a peer's name, with the method it calls. */
    record Call(String from, String to, String method) {
    }

    private final List<Actor> actors;
    /** "host:port" of each actor, as peers may name it, to the actor's name. */
    private final Map<String, String> names;

    /**
     * @param actors   the services running here
     * @param memberAddressing whether peers reach an actor as {@code http://NAME:6379} (a cast) as well as on its
     *                 loopback port
     */
    public Topology(List<Actor> actors, boolean memberAddressing) {
        this.actors = List.copyOf(actors);
        Map<String, String> names = new java.util.HashMap<>();
        for (Actor actor : actors) {
            for (String host : List.of("127.0.0.1", "localhost")) {
                names.put(host + ":" + actor.port(), actor.name());
            }
            if (memberAddressing) {
                names.put(actor.name() + ":" + MEMBER_PORT, actor.name());
            }
        }
        this.names = Map.copyOf(names);
    }

    /** A cast's members, which reach each other as {@code http://NAME:6379}. */
    public static Topology of(CastServers servers) {
        return new Topology(servers.members().stream().map(member -> new Actor(member.member().name(),
                member.address(), member.server().port(), member.server()::runningConfig)).toList(), true);
    }

    /** A single instance. */
    public static Topology of(String serviceName, ThespianServer server) {
        return new Topology(List.of(new Actor(serviceName, "0.0.0.0:" + server.port(), server.port(),
                server::runningConfig)), false);
    }

    public List<Actor> actors() {
        return actors;
    }

    /** A peer's name in the graph: the actor it reaches, else its host (port 6379) or host:port. */
    String peerName(String host, long port) {
        String known = names.get(host + ":" + port);
        if (known != null) {
            return known;
        }
        return port == MEMBER_PORT ? host : host + ":" + port;
    }

    /** The calls the running configs make, in the order of the actors and their configs. */
    List<Call> configuredCalls() {
        Set<Call> calls = new LinkedHashSet<>();
        for (Actor actor : actors) {
            for (Action.CallService call : actor.config().get().config().calls()) {
                Peer peer = call.peer();
                calls.add(new Call(actor.name(), peerName(peer.host(), peer.port()), call.method().name()));
            }
        }
        return new ArrayList<>(calls);
    }
}
