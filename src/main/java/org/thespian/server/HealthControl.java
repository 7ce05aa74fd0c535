package org.thespian.server;

import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.protobuf.services.HealthStatusManager;
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

    /** Reports NOT_SERVING for good, liveness included: the drain is over and the server is closing. */
    void enterTerminalState() {
        health.enterTerminalState();
    }
}
