package org.thespian.server;

import io.grpc.ChannelCredentials;
import io.grpc.ClientInterceptor;
import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;
import org.thespian.config.Peer;
import org.thespian.engine.Scheduler;

/**
 * What the servers of one process share: the scheduler that ends every sleep and runs what follows, and the
 * peer channels. A cast of fifty members thus needs one timer, one continuation pool and one connection per
 * peer, not fifty of each. They also share the process's descriptors, so one cap counts all their connections,
 * and one sweep cancels the calls whose request never comes.
 */
public final class Backstage implements AutoCloseable {

    private final Scheduler scheduler;
    private final GrpcPeerCaller peers;
    private final Connections connections;
    private final RequestArrival requestArrival;

    private Backstage(Scheduler scheduler, GrpcPeerCaller peers, ServerLimits limits) {
        this.scheduler = scheduler;
        this.peers = peers;
        this.connections = Connections.capped(limits.maxConnections());
        this.requestArrival = new RequestArrival(limits.requestArrival(), scheduler);
    }

    /**
     * @param peerTls     the credentials for {@code https://} peers
     * @param limits      the peer timeout (THESPIAN_PEER_TIMEOUT), the engine's CPU threads, the connection cap and
     *                    the request arrival bound, for every server
     * @param directory   where a configured peer really is (see {@link GrpcPeerCaller})
     */
    public static Backstage open(ChannelCredentials peerTls, List<ClientInterceptor> clientInterceptors,
            ServerLimits limits, UnaryOperator<Peer> directory) {
        // Every peer call carries on its request's fault plan and hop count.
        List<ClientInterceptor> interceptors = new ArrayList<>(clientInterceptors);
        interceptors.add(new RequestMetadataForwarding());
        return new Backstage(Scheduler.start(limits.engine().cpuThreads()),
                new GrpcPeerCaller(peerTls, interceptors, limits.peerTimeout(), directory), limits);
    }

    Scheduler scheduler() {
        return scheduler;
    }

    GrpcPeerCaller peers() {
        return peers;
    }

    Connections connections() {
        return connections;
    }

    RequestArrival requestArrival() {
        return requestArrival;
    }

    @Override
    public void close() {
        requestArrival.close();
        peers.close();
        scheduler.close();
    }
}
