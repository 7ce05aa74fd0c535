package org.thespian.server;

/**
 * How the changes made to a running Thespian become visible (logs, metrics, span attributes): telemetry
 * implements it, the server only reports. Each method runs with the relevant span current, if any: the
 * request's SERVER span, the {@code injected delay} span, or the admin call's span.
 */
public interface RuntimeEvents {

    /** A request is being acted out on config revision {@code revision}. */
    default void requestOnRevision(long revision) {
    }

    /** A fault plan entry came up for this request: a delay is starting, or the call is aborted. */
    default void faultInjected(FaultPlan.Entry entry) {
    }

    /** Revision {@code revision} of the config, from {@code origin}, is now the one new calls use. */
    default void configChanged(long revision, String origin) {
    }

    /** A new config from {@code origin} was refused; the running one stays. */
    default void configRejected(String origin, String problem) {
    }

    /** The health service reports {@code status} from now on ({@code SERVING} or {@code NOT_SERVING}). */
    default void healthChanged(String status) {
    }

    /** A fire-and-forget call was dropped: THESPIAN_MAX_BACKGROUND_CALLS of them were in flight. */
    default void backgroundCallDropped() {
    }

    /** A call from outside was shed: the process ran behind (THESPIAN_OVERLOAD_LAG_MS). */
    default void callShed() {
    }

    /** The standing fault plan is {@code plan} from now on (empty: cleared), changed by {@code origin}. */
    default void standingFaultsChanged(String plan, String origin) {
    }

    /** Reports nothing. */
    RuntimeEvents NONE = new RuntimeEvents() {
    };
}
