package org.thespian.server;

import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.protobuf.services.HealthStatusManager;
import java.util.Optional;
import org.thespian.proto.ThespianGrpc;

/**
 * What the standard health service reports: for the whole server and for thespian.Thespian alike, the status
 * that SetHealth and the shutdown flip (readiness); for {@link ThespianServer#LIVENESS_SERVICE}, SERVING for
 * as long as the server runs, drain included, so a liveness probe restarts only a process that stopped answering.
 */
final class HealthControl {

    private final HealthStatusManager health = new HealthStatusManager();
    private final RuntimeEvents events;
    private ServingStatus status = ServingStatus.UNKNOWN;
    private boolean shuttingDown;

    HealthControl(RuntimeEvents events) {
        this.events = events;
        health.setStatus(ThespianServer.LIVENESS_SERVICE, ServingStatus.SERVING);
    }

    HealthStatusManager manager() {
        return health;
    }

    /** @return the status reported until now */
    synchronized ServingStatus set(ServingStatus next) {
        ServingStatus previous = status;
        status = next;
        health.setStatus("", next);
        health.setStatus(ThespianGrpc.SERVICE_NAME, next);
        if (previous != ServingStatus.UNKNOWN && previous != next) {
            events.healthChanged(next.name());
        }
        return previous;
    }

    /**
     * For SetHealth: once the shutdown has begun, SERVING would tell probes to send calls that are refused.
     *
     * @return the status reported until now; empty, and nothing changed, for SERVING during the shutdown
     */
    synchronized Optional<ServingStatus> setUnlessShuttingDown(ServingStatus next) {
        return shuttingDown && next == ServingStatus.SERVING ? Optional.empty() : Optional.of(set(next));
    }

    /** The shutdown's first step: NOT_SERVING from now on, whatever SetHealth asks for. */
    synchronized void startShutdown() {
        shuttingDown = true;
        set(ServingStatus.NOT_SERVING);
    }

    /** Reports NOT_SERVING for good, liveness included: the drain is over and the server is closing. */
    void enterTerminalState() {
        health.enterTerminalState();
    }
}
