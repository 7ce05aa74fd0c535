package org.thespian.cast;

import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import org.thespian.config.Action;
import org.thespian.config.Config;
import org.thespian.config.Peer;

/**
 * Members call each other as {@code http://<member>} on port {@value Cast#MEMBER_PORT}. A call to a bare name on
 * that port which no member has is a typo: in one JVM it would go out to a host of that name, in Compose and
 * Kubernetes to nothing. What names a host outside the cast is allowed: a name with a dot, an IP address,
 * {@code localhost}, or any other port.
 */
final class MemberAddresses {

    private MemberAddresses() {
    }

    /** The first call in {@code config} to a name no member has: "JSON path: what is wrong (did you mean ...)". */
    static Optional<String> unknownMember(Config config, List<String> members) {
        for (Config.Placed<Action.CallService> placed : config.placedCalls()) {
            Peer peer = placed.action().peer();
            if (!isOutside(peer) && !members.contains(peer.host())) {
                return Optional.of(placed.path() + ".CallService.service_address: " + peer.display() + " names no"
                        + " member of the cast (did you mean \"" + nearest(peer.host(), members) + "\"?); a host"
                        + " outside the cast needs a dot, an IP address, localhost or a service_port other than "
                        + Cast.MEMBER_PORT);
            }
        }
        return Optional.empty();
    }

    /** A host the config can only mean outside the cast: members are single DNS labels on the member port. */
    private static boolean isOutside(Peer peer) {
        String host = peer.host();
        return peer.port() != Cast.MEMBER_PORT || host.contains(".") || host.startsWith("[")
                || host.toLowerCase(Locale.ROOT).equals("localhost");
    }

    private static String nearest(String name, List<String> members) {
        String lower = name.toLowerCase(Locale.ROOT);
        return members.stream().min(Comparator.comparingInt(member -> distance(lower, member))).orElseThrow();
    }

    /** Levenshtein distance: the fewest single-character edits that turn {@code a} into {@code b}. */
    private static int distance(String a, String b) {
        int[] previous = new int[b.length() + 1];
        int[] current = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            previous[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            current[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int substitution = previous[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
                current[j] = Math.min(substitution, Math.min(previous[j], current[j - 1]) + 1);
            }
            int[] swap = previous;
            previous = current;
            current = swap;
        }
        return previous[b.length()];
    }
}
