package org.thespian.ui;

import com.sun.net.httpserver.HttpExchange;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/**
 * Who may use the live view. A request must name the view's own address in {@code Host} (so a page on another
 * origin that rebinds its DNS name to this machine is refused); a write must carry {@code X-Thespian-Request: 1},
 * which no cross-site form can send; with a token, every API call must carry it as {@code Authorization: Bearer}.
 */
final class RequestGuard {

    static final String WRITE_HEADER = "X-Thespian-Request";

    /** What the guard decided: pass, or the status and the reason to answer. */
    record Verdict(int status, String reason) {
        static final Verdict PASS = new Verdict(0, "");

        boolean passes() {
            return status == 0;
        }
    }

    private final Set<String> hosts;
    private final Optional<byte[]> token;

    private RequestGuard(Set<String> hosts, Optional<String> token) {
        this.hosts = Set.copyOf(hosts);
        this.token = token.map(value -> ("Bearer " + value).getBytes(StandardCharsets.UTF_8));
    }

    /** The Host values that name the view on {@code port}: its bound address, and loopback by name or number. */
    static RequestGuard forAddress(InetAddress bound, String givenHost, int port, Optional<String> token) {
        Set<String> hosts = new HashSet<>();
        List<String> names = new java.util.ArrayList<>(List.of(givenHost, "localhost", "127.0.0.1", "[::1]"));
        if (bound.isAnyLocalAddress()) {
            names.addAll(localAddresses());
        }
        names.forEach(name -> hosts.add(name.toLowerCase(Locale.ROOT) + ":" + port));
        return new RequestGuard(hosts, token);
    }

    /** Every address of this machine's interfaces, and its name: what a view bound to all of them answers to. */
    private static List<String> localAddresses() {
        List<String> names = new java.util.ArrayList<>();
        try {
            names.add(InetAddress.getLocalHost().getHostName());
            for (NetworkInterface network : NetworkInterface.networkInterfaces().toList()) {
                network.inetAddresses().forEach(address -> names.add(address instanceof java.net.Inet6Address
                        ? "[" + address.getHostAddress().replaceAll("%.*", "") + "]"
                        : address.getHostAddress()));
            }
        } catch (SocketException | java.net.UnknownHostException e) {
            // loopback still works
        }
        return names;
    }

    Verdict check(HttpExchange exchange, boolean api) {
        String host = exchange.getRequestHeaders().getFirst("Host");
        if (host == null || !hosts.contains(host.toLowerCase(Locale.ROOT))) {
            return new Verdict(403, "this live view answers only to its own address in Host, got "
                    + (host == null ? "none" : "\"" + host + "\""));
        }
        if (!api) {
            return Verdict.PASS;
        }
        String method = exchange.getRequestMethod();
        if (!method.equals("GET") && !method.equals("HEAD")
                && !"1".equals(exchange.getRequestHeaders().getFirst(WRITE_HEADER))) {
            return new Verdict(403, "a change needs the header " + WRITE_HEADER + ": 1");
        }
        if (token.isPresent()) {
            String given = exchange.getRequestHeaders().getFirst("Authorization");
            if (given == null || !MessageDigest.isEqual(token.get(), given.getBytes(StandardCharsets.UTF_8))) {
                return new Verdict(401, "this live view needs Authorization: Bearer <THESPIAN_ADMIN_TOKEN>");
            }
        }
        return Verdict.PASS;
    }
}
