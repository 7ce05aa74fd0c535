package org.thespian.server;

/**
 * How the changes made to a running Thespian become visible (logs, metrics, span attributes): telemetry
 * implements it, the server only reports. Each method runs with the relevant span current, if any: the
 * request's SERVER span, the {@code injected delay} span, or the admin call's span.
 */
public interface RuntimeEvents {

    /** A request is being acted out on config revision {@code revision}. */
    void requestOnRevision(long revision);

    /** A fault plan entry came up for this request: a delay is starting, or the call is aborted. */
    void faultInjected(FaultPlan.Entry entry);

    /** Revision {@code revision} of the config, from {@code origin}, is now the one new calls use. */
    void configChanged(long revision, String origin);

    /** A new config from {@code origin} was refused; the running one stays. */
    void configRejected(String origin, String problem);

    /** The health service reports {@code status} from now on ({@code SERVING} or {@code NOT_SERVING}). */
    void healthChanged(String status);

    RuntimeEvents NONE = new RuntimeEvents() {
        @Override
        public void requestOnRevision(long revision) {
        }

        @Override
        public void faultInjected(FaultPlan.Entry entry) {
        }

        @Override
        public void configChanged(long revision, String origin) {
        }

        @Override
        public void configRejected(String origin, String problem) {
        }

        @Override
        public void healthChanged(String status) {
        }
    };
}
