package org.thespian.server;

import io.grpc.ChannelCredentials;
import io.grpc.ClientInterceptor;
import io.grpc.ConnectivityState;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.UnaryOperator;
import org.thespian.config.Peer;
import org.thespian.engine.Scheduler;

/**
 * One long-lived channel per peer address (the original dialled anew for every call), shared by every server
 * of the process. A call leases its channel for as long as it runs, so a config change that stops naming a
 * peer retires the channel without failing the calls still on it: the channel closes when its last lease
 * ends. A call from an old revision to a peer no revision names any more gets a channel that is retired from
 * the start, so it closes after that call instead of staying open for good.
 */
final class PeerChannels implements AutoCloseable {

    /**
     * While calls are open, a peer is pinged this often (gRPC's minimum) and given {@link #KEEPALIVE_TIMEOUT}
     * to answer: a hung peer (SIGSTOPped, a dead host behind a live route) fails its calls within seconds.
     */
    static final Duration KEEPALIVE = Duration.ofSeconds(10);
    static final Duration KEEPALIVE_TIMEOUT = Duration.ofSeconds(5);
    /**
     * A channel that cannot connect fails calls at once and reconnects on gRPC's back-off, which grows to two
     * minutes: too slow to notice a peer that restarted. While calls keep coming, a channel in that state
     * retries at least this often, whatever the call rate: one connect a second costs a refusing peer nothing.
     */
    static final Duration MAX_RECONNECT_INTERVAL = Duration.ofSeconds(1);
    /**
     * The call that makes a failing channel try again waits at most this long for the attempt's outcome. A
     * refused connect never says so (the channel stays failing), so this is what that call pays once a second.
     */
    static final Duration LONGEST_WAIT_FOR_ATTEMPT = Duration.ofMillis(100);
    private static final String ROUND_ROBIN = "round_robin";

    private final ChannelCredentials tls;
    private final List<ClientInterceptor> interceptors;
    private final PeerDirectory directory;
    private final Scheduler scheduler;
    private final UnaryOperator<ManagedChannelBuilder<?>> loops;
    private final ConcurrentHashMap<Peer, PeerChannel> named = new ConcurrentHashMap<>();
    private final Map<Object, Set<Peer>> namedBy = new HashMap<>();

    /**
     * @param tls       the credentials for {@code https://} peers
     * @param directory where a configured peer really is, e.g. {@code http://checkout:6379} at a loopback port
     *                  (or one per replica) when the whole cast runs in one process
     * @param scheduler ends the wait for a connect attempt's outcome
     * @param loops     puts a channel on the event loops it runs on ({@link TransportThreads#carry})
     */
    PeerChannels(ChannelCredentials tls, List<ClientInterceptor> interceptors, PeerDirectory directory,
            Scheduler scheduler, UnaryOperator<ManagedChannelBuilder<?>> loops) {
        this.tls = tls;
        this.interceptors = List.copyOf(interceptors);
        this.directory = directory;
        this.scheduler = scheduler;
        this.loops = loops;
    }

    /** The channel to {@code peer}, held open until {@link PeerChannel#release()}; release exactly once. */
    PeerChannel lease(Peer peer) {
        while (true) {
            PeerChannel channel = named.get(peer);
            if (channel == null) {
                // Not (or no longer) named by any config: a channel for this call alone.
                PeerChannel unnamed = new PeerChannel(open(peer));
                unnamed.lease();
                unnamed.retire();
                return unnamed;
            }
            if (channel.lease()) {
                return channel;
            }
            named.remove(peer, channel); // retired between the lookup and the lease
        }
    }

    /**
     * A failing channel answers calls at once with its last connect error; while calls keep coming, it tries
     * again at least every {@link #MAX_RECONNECT_INTERVAL}. The call that makes it try again gets that attempt's
     * outcome (within {@link #LONGEST_WAIT_FOR_ATTEMPT}) to wait for, so that a peer which has just come up
     * answers it; every other call goes on at once, and none waits for gRPC's own back-off.
     */
    Optional<CompletableFuture<Void>> tryAgainIfFailing(Peer peer) {
        PeerChannel channel = named.get(peer);
        return channel == null ? Optional.empty() : channel.tryAgainIfFailing(scheduler);
    }

    /**
     * Records that {@code user} (one server of this process: a cast has many) calls {@code peers} from now on.
     * Connects to them now, so the first request does not pay for connection setup and class loading inside a
     * concurrent group, where it would delay its siblings' start. Channels that no user names any more retire:
     * they take no new calls and close once the calls still on them have finished.
     */
    synchronized void use(Object user, Set<Peer> peers) {
        namedBy.put(user, Set.copyOf(peers));
        Set<Peer> stillNamed = new HashSet<>();
        namedBy.values().forEach(stillNamed::addAll);
        for (Peer peer : Set.copyOf(named.keySet())) {
            if (!stillNamed.contains(peer)) {
                PeerChannel retired = named.remove(peer);
                if (retired != null) {
                    retired.retire();
                }
            }
        }
        peers.forEach(peer -> named.computeIfAbsent(peer, p -> new PeerChannel(open(p))).connect());
    }

    /**
     * Connects every named channel that is not connected yet, trying a failed one again at once, and waits until
     * each is connected, at most {@code wait} in all (a peer that is really down costs the whole wait, once): for a cast whose members call each other, once
     * all of them listen (the first members' channels tried before the later ones were up).
     */
    void connectAll(Duration wait) throws InterruptedException {
        long deadline = System.nanoTime() + wait.toNanos();
        List<ManagedChannel> channels = named.values().stream().map(PeerChannel::channel).toList();
        // A channel to a member's replicas is READY once one of them is: each channel tries every address that
        // failed again now, or the replicas that were not up yet would get no calls until their back-off ends.
        channels.forEach(ManagedChannel::resetConnectBackoff);
        List<ManagedChannel> pending = channels.stream()
                .filter(channel -> channel.getState(true) != ConnectivityState.READY).toList();
        for (ManagedChannel channel : pending) {
            // A failed channel stays TRANSIENT_FAILURE while it tries again: only READY says it is through.
            while (channel.getState(true) != ConnectivityState.READY && System.nanoTime() < deadline) {
                Thread.sleep(5);
            }
        }
    }

    /** The peers some config of this process names. */
    Set<Peer> namedPeers() {
        return Set.copyOf(named.keySet());
    }

    /**
     * One channel however many addresses the peer has, balancing round robin per call: over the replicas of a
     * member in this JVM, or over every address DNS gives for the name (the pods behind a headless Service in
     * Kubernetes, the containers of a replicated Compose service), so a long-lived connection never pins the
     * calls to one of them. With one address the policy changes nothing.
     */
    private ManagedChannel open(Peer configured) {
        List<Peer> addresses = directory.addressesOf(configured);
        ChannelCredentials credentials = configured.tls() ? tls : InsecureChannelCredentials.create();
        ManagedChannelBuilder<?> builder = addresses.size() == 1
                ? Grpc.newChannelBuilderForAddress(addresses.get(0).host(), addresses.get(0).port(), credentials)
                : ReplicaAddresses.channelBuilder(configured, addresses, credentials);
        return loops.apply(builder).defaultLoadBalancingPolicy(ROUND_ROBIN)
                .intercept(interceptors)
                .directExecutor()
                .keepAliveTime(KEEPALIVE.toSeconds(), TimeUnit.SECONDS)
                .keepAliveTimeout(KEEPALIVE_TIMEOUT.toSeconds(), TimeUnit.SECONDS)
                .build();
    }

    @Override
    public synchronized void close() {
        named.values().forEach(channel -> channel.channel.shutdownNow());
        named.clear();
    }

    /** A channel with the count of calls on it; once retired and unused, it shuts down. */
    static final class PeerChannel {
        private final ManagedChannel channel;
        private final AtomicLong lastNudgeNanos = new AtomicLong(System.nanoTime() - MAX_RECONNECT_INTERVAL.toNanos());
        private int leases;
        private boolean retired;
        private CompletableFuture<Void> attempt = CompletableFuture.completedFuture(null);
        private boolean watching;

        private PeerChannel(ManagedChannel channel) {
            this.channel = channel;
        }

        ManagedChannel channel() {
            return channel;
        }

        private synchronized boolean lease() {
            if (retired && leases == 0) {
                return false;
            }
            leases++;
            return true;
        }

        synchronized void release() {
            leases--;
            shutDownIfDone();
        }

        private synchronized void retire() {
            retired = true;
            shutDownIfDone();
        }

        private void shutDownIfDone() {
            if (retired && leases == 0) {
                channel.shutdown();
            }
        }

        private void connect() {
            channel.getState(true);
        }

        private Optional<CompletableFuture<Void>> tryAgainIfFailing(Scheduler scheduler) {
            if (channel.getState(false) != ConnectivityState.TRANSIENT_FAILURE) {
                return Optional.empty();
            }
            long last = lastNudgeNanos.get();
            long now = System.nanoTime();
            if (now - last < MAX_RECONNECT_INTERVAL.toNanos() || !lastNudgeNanos.compareAndSet(last, now)) {
                return Optional.empty();
            }
            CompletableFuture<Void> outcome = new CompletableFuture<>();
            scheduler.schedule(() -> outcome.complete(null), LONGEST_WAIT_FOR_ATTEMPT.toNanos());
            watch(outcome);
            channel.resetConnectBackoff();
            return Optional.of(outcome);
        }

        /**
         * Completes {@code outcome} when the channel leaves the failing state. One listener at a time: while a peer
         * stays down the state never changes, and a listener per attempt would pile up for as long as it does.
         */
        private synchronized void watch(CompletableFuture<Void> outcome) {
            attempt = outcome;
            if (!watching) {
                watching = true;
                channel.notifyWhenStateChanged(ConnectivityState.TRANSIENT_FAILURE, this::stateChanged);
            }
        }

        private void stateChanged() {
            CompletableFuture<Void> outcome;
            synchronized (this) {
                watching = false;
                outcome = attempt;
            }
            outcome.complete(null);
        }
    }
}
