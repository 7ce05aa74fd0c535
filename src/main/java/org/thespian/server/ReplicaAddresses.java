package org.thespian.server;

import io.grpc.ChannelCredentials;
import io.grpc.EquivalentAddressGroup;
import io.grpc.Grpc;
import io.grpc.ManagedChannelBuilder;
import io.grpc.NameResolver;
import io.grpc.NameResolverProvider;
import io.grpc.NameResolverRegistry;
import io.grpc.StatusOr;
import java.net.InetSocketAddress;
import java.net.URI;
import java.util.List;
import org.thespian.config.Peer;

/**
 * A name that resolves to a fixed list of addresses, for one channel to several replicas of a member in this JVM:
 * the channel's round-robin policy then spreads calls over them as it would over the pods behind a headless
 * Service. Each channel has a registry of its own holding only this resolver, so nothing global is registered.
 */
final class ReplicaAddresses extends NameResolverProvider {

    private static final String SCHEME = "thespian-replicas";

    private final List<EquivalentAddressGroup> groups;

    private ReplicaAddresses(List<Peer> addresses) {
        this.groups = addresses.stream()
                .map(peer -> new EquivalentAddressGroup(new InetSocketAddress(peer.host(), peer.port())))
                .toList();
    }

    /** A channel builder for {@code configured} that reaches every one of {@code addresses}. */
    static ManagedChannelBuilder<?> channelBuilder(Peer configured, List<Peer> addresses,
            ChannelCredentials credentials) {
        NameResolverRegistry registry = new NameResolverRegistry();
        registry.register(new ReplicaAddresses(addresses));
        return Grpc.newChannelBuilder(SCHEME + ":///" + configured.host() + ":" + configured.port(), credentials,
                registry);
    }

    @Override
    protected boolean isAvailable() {
        return true;
    }

    @Override
    protected int priority() {
        return 5;
    }

    @Override
    public String getDefaultScheme() {
        return SCHEME;
    }

    @Override
    public NameResolver newNameResolver(URI target, NameResolver.Args args) {
        if (!SCHEME.equals(target.getScheme())) {
            return null;
        }
        String authority = target.getPath().substring(1);
        return new NameResolver() {
            @Override
            public String getServiceAuthority() {
                return authority;
            }

            @Override
            public void start(Listener2 listener) {
                listener.onResult2(ResolutionResult.newBuilder()
                        .setAddressesOrError(StatusOr.fromValue(groups)).build());
            }

            @Override
            public void shutdown() {
            }
        };
    }
}
