package org.thespian.server;

import io.grpc.ChannelCredentials;
import io.grpc.ClientInterceptor;
import io.grpc.InsecureChannelCredentials;
import java.time.Duration;
import java.util.List;
import org.thespian.engine.ActionsInFlight;
import org.thespian.engine.ProcessBudget;
import org.thespian.engine.Scheduler;

/**
 * What the servers of one process share: the scheduler that ends every sleep and runs what follows (and its CPU
 * pool), the peer channels, the watch on the heap, the budget of held memory and fire-and-forget calls, the budget
 * of work in flight, and the measure of how far behind the process runs. A cast of fifty members thus needs one
 * timer, one continuation pool and one connection per peer, not fifty of each; and its members together, not each
 * of them, stay within the caps, since they share one heap.
 * They also share the process's descriptors, so one cap counts all their connections, and one sweep cancels
 * the calls whose request never comes, and the transport threads that serve all their connections and carry
 * their calls to peers.
 */
public final class ProcessResources implements AutoCloseable {

    private final Scheduler scheduler;
    private final GrpcPeerCaller peers;
    private final HeapPressure heap;
    private final ProcessBudget budget;
    private final ActionsInFlight actionsInFlight;
    private final TransportThreads transport;
    private final ProcessLag lag;
    private final StandingFaults standingFaults = new StandingFaults();

    private final Connections connections;
    private final RequestArrival requestArrival;

    private ProcessResources(Scheduler scheduler, TransportThreads transport, GrpcPeerCaller peers, HeapPressure heap,
            ProcessBudget budget, ActionsInFlight actionsInFlight, ServerLimits limits) {
        this.scheduler = scheduler;
        this.peers = peers;
        this.heap = heap;
        this.budget = budget;
        this.actionsInFlight = actionsInFlight;
        this.transport = transport;
        this.lag = ProcessLag.watch(scheduler, transport.loops());
        this.connections = Connections.capped(limits.maxConnections());
        this.requestArrival = new RequestArrival(limits.requestArrival(), scheduler);
    }

    /**
     * @param peerTls     the credentials for {@code https://} peers
     * @param limits      the peer timeout (THESPIAN_PEER_TIMEOUT), the engine's CPU threads, the memory cap, the
     *                    fire-and-forget cap, the work in flight (THESPIAN_MAX_ACTIONS_IN_FLIGHT), the connection cap
     *                    and the request arrival bound, for every server
     * @param directory   where a configured peer really is (see {@link GrpcPeerCaller})
     */
    public static ProcessResources open(ChannelCredentials peerTls, List<ClientInterceptor> clientInterceptors,
            ServerLimits limits, PeerDirectory directory) {
        return open(Scheduler.start(limits.engine().cpuThreads()), peerTls, clientInterceptors, limits, directory);
    }

    /**
     * Resources of its own for a rehearsal ({@link Rehearsal}): nothing the real servers count or hold is touched,
     * every wait lasts at most {@code longestWait}, and every peer is where {@code directory} says (on loopback).
     */
    static ProcessResources rehearsal(List<ClientInterceptor> clientInterceptors, ServerLimits limits,
            Duration longestWait, PeerDirectory directory) {
        return open(Scheduler.rehearsal(limits.engine().cpuThreads(), longestWait.toNanos()),
                InsecureChannelCredentials.create(), clientInterceptors, limits, directory);
    }

    private static ProcessResources open(Scheduler scheduler, ChannelCredentials peerTls,
            List<ClientInterceptor> clientInterceptors, ServerLimits limits, PeerDirectory directory) {
        HeapPressure heap = HeapPressure.watch();
        TransportThreads transport = TransportThreads.start();
        return new ProcessResources(scheduler, transport, new GrpcPeerCaller(peerTls, clientInterceptors,
                limits.peerTimeout(), directory, scheduler, transport::carry), heap,
                new ProcessBudget(limits.engine(), heap), new ActionsInFlight(limits.engine().maxActionsInFlight()),
                limits);
    }

    Scheduler scheduler() {
        return scheduler;
    }

    GrpcPeerCaller peers() {
        return peers;
    }

    HeapPressure heap() {
        return heap;
    }

    /** What every server's engine holds memory and starts fire-and-forget calls from. */
    ProcessBudget budget() {
        return budget;
    }

    /** The work in flight in the whole process: its servers share the heap. */
    ActionsInFlight actionsInFlight() {
        return actionsInFlight;
    }

    /** How far behind the process runs, for every server's adaptive limit. */
    ProcessLag lag() {
        return lag;
    }

    /**
     * Once every server sharing these resources listens, connects the channels between them (and to any other
     * peer), at most a second: the first members started tried their peers before those were up.
     */
    public void connectPeers() throws InterruptedException {
        peers.connectAll(Duration.ofSeconds(1));
    }

    /** The standing fault plan of every server sharing these resources: a cast has one, as it has one entrance. */
    public StandingFaults standingFaults() {
        return standingFaults;
    }

    Connections connections() {
        return connections;
    }

    /** The event loops every server of this process serves its connections on. */
    TransportThreads transport() {
        return transport;
    }

    RequestArrival requestArrival() {
        return requestArrival;
    }

    @Override
    public void close() {
        lag.close();
        requestArrival.close();
        peers.close();
        scheduler.close();
        transport.close();
        heap.close();
    }
}
