package org.thespian.server;

import io.grpc.Status;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import org.thespian.admin.proto.AdminGrpc;
import org.thespian.admin.proto.GetConfigRequest;
import org.thespian.admin.proto.GetConfigResponse;
import org.thespian.admin.proto.GetStatsRequest;
import org.thespian.admin.proto.GetStatsResponse;
import org.thespian.admin.proto.MethodStats;
import org.thespian.admin.proto.ServingStatus;
import org.thespian.admin.proto.SetConfigRequest;
import org.thespian.admin.proto.SetConfigResponse;
import org.thespian.admin.proto.SetHealthRequest;
import org.thespian.admin.proto.SetHealthResponse;
import org.thespian.config.ConfigException;

/** {@code thespian.admin.v1.Admin}: the running config, health and counters, read and changed live. */
final class AdminService extends AdminGrpc.AdminImplBase {

    /** A config document larger than this is refused before parsing; gRPC's own limit is 4 MiB. */
    static final int MAX_CONFIG_CHARS = 1 << 20;

    private final LiveConfig config;
    private final HealthControl health;
    private final CallStats stats;
    private final RuntimeEvents events;

    AdminService(LiveConfig config, HealthControl health, CallStats stats, RuntimeEvents events) {
        this.config = config;
        this.health = health;
        this.stats = stats;
        this.events = events;
    }

    @Override
    public void getConfig(GetConfigRequest request, StreamObserver<GetConfigResponse> responses) {
        LiveConfig.Revision revision = config.current();
        answer(responses, GetConfigResponse.newBuilder()
                .setConfigJson(revision.text())
                .setRevision(revision.number())
                .build());
    }

    @Override
    public void setConfig(SetConfigRequest request, StreamObserver<SetConfigResponse> responses) {
        if (request.getConfigJson().length() > MAX_CONFIG_CHARS) {
            refuseConfig(responses, "SetConfig: config_json is longer than " + MAX_CONFIG_CHARS + " characters");
            return;
        }
        try {
            LiveConfig.Revision revision = config.replace(request.getConfigJson(), "SetConfig");
            answer(responses, SetConfigResponse.newBuilder().setRevision(revision.number()).build());
        } catch (ConfigException e) {
            refuseConfig(responses, e.getMessage());
        }
    }

    private void refuseConfig(StreamObserver<SetConfigResponse> responses, String problem) {
        events.configRejected("SetConfig", problem);
        responses.onError(Status.INVALID_ARGUMENT.withDescription(problem).asRuntimeException());
    }

    @Override
    public void setHealth(SetHealthRequest request, StreamObserver<SetHealthResponse> responses) {
        HealthCheckResponse.ServingStatus next = switch (request.getStatus()) {
            case SERVING -> HealthCheckResponse.ServingStatus.SERVING;
            case NOT_SERVING -> HealthCheckResponse.ServingStatus.NOT_SERVING;
            default -> null;
        };
        if (next == null) {
            responses.onError(Status.INVALID_ARGUMENT.withDescription(
                    "SetHealth: status must be SERVING or NOT_SERVING").asRuntimeException());
            return;
        }
        ServingStatus previous = health.set(next) == HealthCheckResponse.ServingStatus.SERVING
                ? ServingStatus.SERVING
                : ServingStatus.NOT_SERVING;
        answer(responses, SetHealthResponse.newBuilder().setPrevious(previous).build());
    }

    @Override
    public void getStats(GetStatsRequest request, StreamObserver<GetStatsResponse> responses) {
        GetStatsResponse.Builder response = GetStatsResponse.newBuilder()
                .setConfigRevision(config.current().number());
        stats.byMethod().entrySet().stream().sorted(Map.Entry.comparingByKey()).forEach(method ->
                response.addMethods(MethodStats.newBuilder()
                        .setMethod(method.getKey())
                        .setCalls(method.getValue().calls())
                        .setInFlight(method.getValue().inFlight())
                        .putAllFailures(method.getValue().failures())));
        answer(responses, response.build());
    }

    /**
     * Writes the answer only while the client's HTTP/2 flow control lets it leave; until then the call waits (in its
     * admin place) for the client to read, and nothing is buffered for it.
     */
    private static <T> void answer(StreamObserver<T> responses, T response) {
        ServerCallStreamObserver<T> call = (ServerCallStreamObserver<T>) responses;
        AtomicBoolean answered = new AtomicBoolean();
        Runnable answer = () -> {
            if (call.isReady() && answered.compareAndSet(false, true)) {
                call.onNext(response);
                call.onCompleted();
            }
        };
        call.setOnReadyHandler(answer);
        answer.run();
    }
}
