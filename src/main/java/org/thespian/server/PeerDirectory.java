package org.thespian.server;

import java.util.List;
import org.thespian.config.Peer;

/**
 * Where a configured peer really is: itself, or (a cast in one JVM) the loopback address of each replica of the
 * member it names, which calls take turns at.
 */
@FunctionalInterface
public interface PeerDirectory {

    /** Every peer is where the config says. */
    PeerDirectory AS_CONFIGURED = List::of;

    /** One address or more, never none. */
    List<Peer> addressesOf(Peer configured);
}
