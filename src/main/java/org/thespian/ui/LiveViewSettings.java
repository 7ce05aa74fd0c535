package org.thespian.ui;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Where the live view listens and what it keeps, checked before anything starts.
 *
 * @param host        the address to bind, as given
 * @param port        the port; 0 lets the system pick one
 * @param nextFree    whether a taken port moves the view to the next free one (the default's behaviour)
 * @param token       THESPIAN_ADMIN_TOKEN: when present, every API call must carry it; required off loopback
 * @param maxTraces   THESPIAN_UI_TRACES
 */
public record LiveViewSettings(String host, int port, boolean nextFree, Optional<String> token, int maxTraces) {

    public static final String DEFAULT_HOST = "127.0.0.1";
    public static final int DEFAULT_PORT = 8080;
    static final int DEFAULT_MAX_TRACES = 2_000;
    static final long MAX_BYTES = 64L << 20;
    private static final Pattern ADDRESS = Pattern.compile("([A-Za-z0-9.\\-]+|\\[[0-9a-fA-F:.]+\\]):([0-9]{1,5})");

    /** A setting the live view cannot start with, said in one line that names it. */
    public static final class Invalid extends Exception {
        Invalid(String message) {
            super(message);
        }
    }

    /**
     * The view from {@code text}: {@code HOST:PORT}, {@code off} (empty), or null for the default
     * (127.0.0.1:8080, or the next free port).
     *
     * @param source how the user gave it, for messages ({@code --ui}, {@code THESPIAN_UI})
     * @param env    read for THESPIAN_UI_TRACES
     */
    public static Optional<LiveViewSettings> parse(String text, String source, Optional<String> token,
            Map<String, String> env) throws Invalid {
        int maxTraces = maxTraces(env);
        if (text == null) {
            return Optional.of(new LiveViewSettings(DEFAULT_HOST, DEFAULT_PORT, true, token, maxTraces));
        }
        if (text.equals("off")) {
            return Optional.empty();
        }
        Matcher matcher = ADDRESS.matcher(text);
        int port = matcher.matches() ? Integer.parseInt(matcher.group(2)) : -1;
        if (port < 0 || port > 65535) {
            throw new Invalid(source + " must be HOST:PORT (such as 127.0.0.1:8080) or off, got \"" + text + "\"");
        }
        String host = matcher.group(1);
        LiveViewSettings settings = new LiveViewSettings(host, port, false, token, maxTraces);
        if (token.isEmpty() && !settings.isLoopback()) {
            throw new Invalid(source + " " + text + " can be reached from other machines: set THESPIAN_ADMIN_TOKEN"
                    + " (the page asks for it once), or bind the live view to 127.0.0.1");
        }
        return Optional.of(settings);
    }

    private static int maxTraces(Map<String, String> env) throws Invalid {
        String text = env.getOrDefault("THESPIAN_UI_TRACES", "").strip();
        if (text.isEmpty()) {
            return DEFAULT_MAX_TRACES;
        }
        if (text.matches("[0-9]{1,7}") && Integer.parseInt(text) >= 1 && Integer.parseInt(text) <= 1_000_000) {
            return Integer.parseInt(text);
        }
        throw new Invalid("THESPIAN_UI_TRACES must be a whole number from 1 to 1000000, got \"" + text + "\"");
    }

    /** Whether only this machine can reach the address (a name that does not resolve is not). */
    boolean isLoopback() {
        try {
            return bindAddress().isLoopbackAddress();
        } catch (UnknownHostException e) {
            return false;
        }
    }

    InetAddress bindAddress() throws UnknownHostException {
        return InetAddress.getByName(host.startsWith("[") ? host.substring(1, host.length() - 1) : host);
    }
}
