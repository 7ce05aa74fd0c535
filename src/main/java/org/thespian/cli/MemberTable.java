package org.thespian.cli;

import java.net.URI;
import java.util.Comparator;
import java.util.Locale;
import java.util.Optional;
import java.util.stream.Collectors;
import org.thespian.cast.Cast;
import org.thespian.cast.CastServers;
import org.thespian.cast.CastServers.Running;
import org.thespian.config.Peer;

/**
 * The members of a running cast, where they listen and whom they call, as a table for people; a member with
 * replicas has a row per replica, named by its instance id.
 */
final class MemberTable {

    private MemberTable() {
    }

    /** @param view the live view's page, shown below the members */
    static String render(String castName, CastServers servers, Optional<URI> view) {
        int nameWidth = Math.max("member".length(),
                servers.members().stream().map(m -> m.name().length()).max(Comparator.naturalOrder()).orElse(0));
        String row = "  %-" + nameWidth + "s  %-21s  %s%n";
        StringBuilder table = new StringBuilder(String.format(Locale.ROOT,
                "cast %s: %s in one JVM%n", castName, servers.headcount()));
        table.append(String.format(Locale.ROOT, row, "member", "address", "calls"));
        for (Running running : servers.members()) {
            String calls = running.member().config().config().peers().stream()
                    .map(MemberTable::peerName).distinct().collect(Collectors.joining(", "));
            table.append(String.format(Locale.ROOT, row, running.name(), running.address(),
                    calls.isEmpty() ? "-" : calls));
        }
        view.ifPresent(url -> table.append(String.format(Locale.ROOT, "live view: %s%n", url)));
        return table.toString();
    }

    private static String peerName(Peer peer) {
        return peer.port() == Cast.MEMBER_PORT ? peer.host() : peer.host() + ":" + peer.port();
    }
}
