package org.thespian.instrumentation;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;

/** Host, port and path of an address written in a config: {@code http://loki:3100/otlp} or {@code 0.0.0.0:4317}. */
record Endpoint(String host, int port, String path) {

    static Endpoint parse(String address) {
        URI uri = URI.create(address.contains("://") ? address : "tcp://" + address);
        assertTrue(uri.getHost() != null && uri.getPort() > 0, () -> address + " needs a host and a port");
        return new Endpoint(uri.getHost(), uri.getPort(), uri.getPath() == null ? "" : uri.getPath());
    }

    boolean onThisMachine() {
        return host.equals("localhost") || host.equals("127.0.0.1");
    }
}
