package org.thespian.config;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The rules for a CallService's {@code service_address} and {@code service_port}. */
final class PeerAddress {

    /**
     * An optional scheme, a host (a name, an IPv4 address or a bracketed IPv6 address) and the rest, which may
     * only be a trailing slash: gRPC targets have no path, and the port has a field of its own.
     */
    private static final Pattern ADDRESS =
            Pattern.compile("(?s)(?:(?<scheme>[A-Za-z][A-Za-z0-9+.-]*)://)?(?<host>\\[[0-9A-Fa-f:.]*]|[^/:\\[]*)(?<rest>.*)");
    private static final Pattern HOST = Pattern.compile("\\[[0-9A-Fa-f:.]+]|[A-Za-z0-9._-]+");
    private static final Pattern PORT_DIGITS = Pattern.compile("\\d{1,5}");
    private static final String EXPECTED_ADDRESS =
            "expected \"host\", \"http://host\" or \"https://host\", with the port in service_port";

    private PeerAddress() {
    }

    static Peer peer(JsonValue address, JsonValue port) throws ConfigException {
        String text = address.nonBlankString();
        Matcher parts = ADDRESS.matcher(text);
        parts.matches(); // every string matches: the parts are judged one by one below, to say what is wrong
        String scheme = parts.group("scheme") == null ? "http" : parts.group("scheme").toLowerCase(Locale.ROOT);
        String host = parts.group("host");
        String rest = parts.group("rest");
        if (!scheme.equals("http") && !scheme.equals("https")) {
            throw invalid(address, "unsupported scheme " + JsonValue.quote(parts.group("scheme")), text);
        }
        if (rest.startsWith(":")) {
            throw invalid(address, "unexpected port", text);
        }
        boolean nothingAfterHost = rest.isEmpty() || rest.equals("/");
        if (rest.startsWith("/") && !nothingAfterHost) {
            throw invalid(address, "unexpected path", text);
        }
        if (host.isEmpty() && nothingAfterHost) {
            throw invalid(address, "missing host", text);
        }
        if (!HOST.matcher(host).matches() || !nothingAfterHost) {
            throw invalid(address, "invalid host", text);
        }
        return new Peer(host, port(port), scheme.equals("https"));
    }

    /** The original format has the port as a string ({@code "6379"}); a JSON integer is accepted too. */
    private static int port(JsonValue value) throws ConfigException {
        String text = value.node().asText();
        int port = 0;
        if (value.node().isTextual() && PORT_DIGITS.matcher(text).matches()) {
            port = Integer.parseInt(text);
        } else if (value.node().isIntegralNumber() && value.node().canConvertToInt()) {
            port = value.node().intValue();
        }
        if (port < 1 || port > 65535) {
            throw value.expected("a port from 1 to 65535, as a string like \"6379\" or an integer");
        }
        return port;
    }

    private static ConfigException invalid(JsonValue address, String reason, String text) {
        return address.error(reason + " in " + JsonValue.quote(text) + "; " + EXPECTED_ADDRESS);
    }
}
