package org.thespian.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.EquivalentAddressGroup;
import io.grpc.InsecureChannelCredentials;
import io.grpc.NameResolver;
import io.grpc.NameResolverProvider;
import io.grpc.NameResolverRegistry;
import io.grpc.internal.DnsNameResolverProvider;
import java.net.InetSocketAddress;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.thespian.config.Action.CallService;
import org.thespian.config.Method;
import org.thespian.config.Peer;
import org.thespian.engine.Dice;
import org.thespian.engine.Execution;
import org.thespian.engine.Scheduler;
import org.thespian.testsupport.CountingPeer;
import org.thespian.testsupport.ThespianProcess;

/**
 * A peer whose name DNS resolves to several addresses, as cluster DNS resolves a headless Service to its ready pods:
 * calls on the one channel to that name take turns at every address, rather than all going down the connection
 * that pick-first (or kube-proxy behind a virtual IP) would have settled on.
 */
class HeadlessServiceTest {

    private static final String HEADLESS = "payment.headless.test";
    private static final List<String> PODS = List.of("127.0.0.1", "127.0.0.2", "127.0.0.3");
    private static final int CALLS = 30;

    @Test
    void callsToANameWithSeveralAddressesSpreadOverThemCallByCall() throws Exception {
        int port = ThespianProcess.freePort();
        List<CountingPeer> pods = new ArrayList<>();
        ClusterDns dns = new ClusterDns(port);
        NameResolverRegistry.getDefaultRegistry().register(dns);
        try (Scheduler scheduler = Scheduler.start();
                GrpcPeerCaller caller = new GrpcPeerCaller(InsecureChannelCredentials.create(), List.of(),
                        ServerLimits.DEFAULT_PEER_TIMEOUT, scheduler)) {
            for (String address : PODS) {
                pods.add(CountingPeer.on(address, port));
            }
            Peer payment = new Peer(HEADLESS, port, false);
            caller.use(this, Set.of(payment)); // named by a config: one channel for every call
            caller.connectAll(Duration.ofSeconds(5));

            for (int i = 0; i < CALLS; i++) {
                caller.call(new CallService("pay", payment, Method.A),
                        new Execution(Dice.of(OptionalLong.empty()).nextRequest(), OptionalLong.empty()))
                        .get(10, TimeUnit.SECONDS);
            }

            List<Integer> spread = pods.stream().map(CountingPeer::calls).toList();
            assertEquals(CALLS, spread.stream().mapToInt(Integer::intValue).sum(), spread.toString());
            assertTrue(spread.stream().allMatch(calls -> calls >= CALLS * 20 / 100 && calls <= CALLS * 47 / 100),
                    "each pod gets about a third of the calls: " + spread);
        } finally {
            NameResolverRegistry.getDefaultRegistry().deregister(dns);
            pods.forEach(CountingPeer::close);
        }
    }

    /** Cluster DNS for one headless name, on the default scheme; every other name goes to the real DNS resolver. */
    private static final class ClusterDns extends NameResolverProvider {
        private final NameResolverProvider real = new DnsNameResolverProvider();
        private final int port;

        ClusterDns(int port) {
            this.port = port;
        }

        @Override
        protected boolean isAvailable() {
            return true;
        }

        @Override
        protected int priority() {
            return 9; // above the real one's 5: the channel asks this one first
        }

        @Override
        public String getDefaultScheme() {
            return real.getDefaultScheme();
        }

        @Override
        public NameResolver newNameResolver(URI target, NameResolver.Args args) {
            if (!target.getPath().equals("/" + HEADLESS + ":" + port)) {
                return real.newNameResolver(target, args);
            }
            List<EquivalentAddressGroup> addresses = PODS.stream()
                    .map(pod -> new EquivalentAddressGroup(new InetSocketAddress(pod, port))).toList();
            return new NameResolver() {
                @Override
                public String getServiceAuthority() {
                    return HEADLESS;
                }

                @Override
                public void start(Listener2 listener) {
                    listener.onResult(ResolutionResult.newBuilder().setAddresses(addresses).build());
                }

                @Override
                public void shutdown() {
                }
            };
        }
    }
}
