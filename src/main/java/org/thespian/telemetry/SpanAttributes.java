package org.thespian.telemetry;

import io.opentelemetry.api.common.AttributeKey;

/** The attribute names Thespian puts on spans and metrics (see docs/telemetry.md). */
final class SpanAttributes {

    static final AttributeKey<String> RPC_SYSTEM = AttributeKey.stringKey("rpc.system");
    static final AttributeKey<String> RPC_SERVICE = AttributeKey.stringKey("rpc.service");
    static final AttributeKey<String> RPC_METHOD = AttributeKey.stringKey("rpc.method");
    static final AttributeKey<Long> RPC_GRPC_STATUS_CODE = AttributeKey.longKey("rpc.grpc.status_code");
    static final AttributeKey<String> SERVER_ADDRESS = AttributeKey.stringKey("server.address");
    static final AttributeKey<Long> SERVER_PORT = AttributeKey.longKey("server.port");

    static final AttributeKey<String> ACTION = AttributeKey.stringKey("thespian.action");
    static final AttributeKey<String> ACTION_NAME = AttributeKey.stringKey("thespian.action.name");
    static final AttributeKey<Long> DURATION_MS = AttributeKey.longKey("thespian.duration_ms");
    static final AttributeKey<Double> FAILURE_CHANCE = AttributeKey.doubleKey("thespian.failure_chance");
    static final AttributeKey<Double> ROLL = AttributeKey.doubleKey("thespian.roll");
    static final AttributeKey<String> PEER = AttributeKey.stringKey("thespian.peer");
    static final AttributeKey<String> FAILURE_CODE = AttributeKey.stringKey("thespian.failure_code");
    static final AttributeKey<Long> ATTEMPT = AttributeKey.longKey("thespian.attempt");
    static final AttributeKey<Long> REPETITION = AttributeKey.longKey("thespian.repetition");
    static final AttributeKey<Boolean> SKIPPED = AttributeKey.booleanKey("thespian.skipped");
    static final AttributeKey<String> RESOURCE = AttributeKey.stringKey("thespian.resource");
    static final AttributeKey<String> LATENCY = AttributeKey.stringKey("thespian.latency");
    static final AttributeKey<Double> LATENCY_MS = AttributeKey.doubleKey("thespian.latency_ms");
    static final AttributeKey<Long> MEGABYTES = AttributeKey.longKey("thespian.memory.megabytes");
    static final AttributeKey<String> HOLD = AttributeKey.stringKey("thespian.memory.hold_ms");
    static final AttributeKey<Boolean> HEDGE = AttributeKey.booleanKey("thespian.hedge");
    /** {@code closed}, {@code open} or {@code half-open}: where the call's circuit breaker stood when it asked. */
    static final AttributeKey<String> CIRCUIT_STATE = AttributeKey.stringKey("thespian.circuit.state");
    /** A rate-limited function's limit, e.g. {@code 100 calls a second, burst 20}. */
    static final AttributeKey<String> RATE_LIMIT = AttributeKey.stringKey("thespian.rate_limit");

    /** Who ended a cancelled request or action: {@code the caller cancelled}, {@code the caller's deadline passed}. */
    static final AttributeKey<String> CANCELLED_BY = AttributeKey.stringKey("thespian.cancelled");
    /** A non-OK answer's description on a SERVER span whose status stays unset (a span's own description needs ERROR). */
    static final AttributeKey<String> STATUS_MESSAGE = AttributeKey.stringKey("thespian.status_message");
    static final AttributeKey<String> EXCEPTION_TYPE = AttributeKey.stringKey("exception.type");
    static final AttributeKey<String> EXCEPTION_MESSAGE = AttributeKey.stringKey("exception.message");

    private SpanAttributes() {
    }
}
