package org.thespian.server;

import java.time.Duration;
import java.util.OptionalInt;
import org.thespian.engine.EngineLimits;

/**
 * The bounds a Thespian keeps whatever its callers send (docs/reference.md, "Limits"). The connection timings are
 * fixed; tests shorten them to see them act.
 *
 * @param maxInFlight       calls of thespian.Thespian running at once; past it a call gets RESOURCE_EXHAUSTED
 * @param peerTimeout       the deadline of a peer call whose own request came without one
 * @param handshakeTimeout  how long a new connection may take to send the HTTP/2 preface and its SETTINGS
 * @param maxConnectionIdle how long a connection with no call may stay open
 * @param engine            what one request may cause inside the engine
 * @param overloadLag       how late the process may run before new work is limited (zero: never)
 * @param requestArrival    how long a call may wait for its request after its headers before it is cancelled
 * @param maxConnections    open connections at most; when empty, a cap below the process's descriptor limit
 */
public record ServerLimits(int maxInFlight, Duration peerTimeout, Duration handshakeTimeout,
        Duration maxConnectionIdle, EngineLimits engine, Duration overloadLag, Duration requestArrival,
        OptionalInt maxConnections) {

    public static final Duration DEFAULT_PEER_TIMEOUT = Duration.ofSeconds(30);
    static final Duration DEFAULT_HANDSHAKE_TIMEOUT = Duration.ofSeconds(10);
    static final Duration DEFAULT_MAX_CONNECTION_IDLE = Duration.ofMinutes(2);
    static final Duration DEFAULT_REQUEST_ARRIVAL = Duration.ofSeconds(10);
    /**
     * THESPIAN_OVERLOAD_LAG_MS's default: several times what a busy but coping machine shows, and well under a
     * second. Limits built in code ({@link #of}, {@link #defaults()}) leave the adaptive limit off.
     */
    public static final Duration DEFAULT_OVERLOAD_LAG = Duration.ofMillis(50);

    /** Heap that a Thespian needs with nothing in flight (classes, gRPC, telemetry buffers), kept aside. */
    private static final long BASE_HEAP_BYTES = 32L << 20;
    /** Heap one call in flight may take at worst, with its spans, before the SDK exports them. */
    private static final long HEAP_PER_CALL_BYTES = 16L << 10;
    private static final int MIN_IN_FLIGHT = 64;

    public ServerLimits {
        if (maxInFlight < 1) {
            throw new IllegalArgumentException("maxInFlight must be at least 1, got " + maxInFlight);
        }
    }

    /**
     * These connection timings, with the request arrival bound and the connection cap at their defaults and the
     * adaptive limit off.
     */
    public ServerLimits(int maxInFlight, Duration peerTimeout, Duration handshakeTimeout, Duration maxConnectionIdle,
            EngineLimits engine) {
        this(maxInFlight, peerTimeout, handshakeTimeout, maxConnectionIdle, engine, Duration.ZERO,
                DEFAULT_REQUEST_ARRIVAL, OptionalInt.empty());
    }

    /** The limits for {@code maxInFlight} calls, everything else as documented. */
    public static ServerLimits of(int maxInFlight, Duration peerTimeout) {
        return new ServerLimits(maxInFlight, peerTimeout, DEFAULT_HANDSHAKE_TIMEOUT, DEFAULT_MAX_CONNECTION_IDLE,
                EngineLimits.DEFAULT);
    }

    /** These limits, with {@code engine} for the work inside each request. */
    public ServerLimits withEngine(EngineLimits engine) {
        return new ServerLimits(maxInFlight, peerTimeout, handshakeTimeout, maxConnectionIdle, engine, overloadLag,
                requestArrival, maxConnections);
    }

    /** These limits, limiting new work once the process runs {@code lag} late (zero: never). */
    public ServerLimits withOverloadLag(Duration lag) {
        return new ServerLimits(maxInFlight, peerTimeout, handshakeTimeout, maxConnectionIdle, engine, lag,
                requestArrival, maxConnections);
    }

    /** These limits, with a request arrival bound and a fixed connection cap (tests shorten and lower them). */
    ServerLimits withConnections(Duration requestArrival, OptionalInt maxConnections) {
        return new ServerLimits(maxInFlight, peerTimeout, handshakeTimeout, maxConnectionIdle, engine, overloadLag,
                requestArrival, maxConnections);
    }

    /**
     * What one connection may hold of a budget of {@code limit} calls: three quarters of it, so that the last quarter
     * is always left to other clients (with a budget under 4, all of it).
     */
    static int connectionShare(int limit) {
        return limit - limit / 4;
    }

    /** Every limit at its default, for this JVM's heap. */
    public static ServerLimits defaults() {
        return of(defaultMaxInFlight(Runtime.getRuntime().maxMemory()), DEFAULT_PEER_TIMEOUT);
    }

    /** (max heap − 32 MiB) / 16 KiB, at least 64: 2,048 at -Xmx64m, 14,336 at 256 MiB, 260,096 at 4 GiB. */
    public static int defaultMaxInFlight(long maxHeapBytes) {
        return defaultMaxInFlight(maxHeapBytes, 1);
    }

    /** For one of {@code servers} sharing the heap (a cast's members): its share of the calls, at least 64. */
    public static int defaultMaxInFlight(long maxHeapBytes, int servers) {
        long calls = (maxHeapBytes - BASE_HEAP_BYTES) / HEAP_PER_CALL_BYTES / servers;
        return (int) Math.max(MIN_IN_FLIGHT, Math.min(Integer.MAX_VALUE / 2, calls));
    }
}
