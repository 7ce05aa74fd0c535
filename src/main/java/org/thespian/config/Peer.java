package org.thespian.config;

/**
 * Where a {@code CallService} goes: {@code service_address} without its scheme, the port, and whether the
 * scheme asked for TLS ({@code https://}); {@code http://} or no scheme means plaintext.
 */
public record Peer(String host, int port, boolean tls) {

    /** The address as a user would write it, for messages and span attributes. */
    public String display() {
        return (tls ? "https://" : "http://") + host + ":" + port;
    }
}
