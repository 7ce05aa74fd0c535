package org.thespian.server;

import io.grpc.Status;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.stub.StreamObserver;
import java.util.Map;
import org.thespian.admin.proto.AdminGrpc;
import org.thespian.admin.proto.GetConfigRequest;
import org.thespian.admin.proto.GetConfigResponse;
import org.thespian.admin.proto.GetFaultsRequest;
import org.thespian.admin.proto.GetFaultsResponse;
import org.thespian.admin.proto.GetStatsRequest;
import org.thespian.admin.proto.GetStatsResponse;
import org.thespian.admin.proto.MethodStats;
import org.thespian.admin.proto.ServingStatus;
import org.thespian.admin.proto.SetConfigRequest;
import org.thespian.admin.proto.SetConfigResponse;
import org.thespian.admin.proto.SetFaultsRequest;
import org.thespian.admin.proto.SetFaultsResponse;
import org.thespian.admin.proto.SetHealthRequest;
import org.thespian.admin.proto.SetHealthResponse;
import org.thespian.config.ConfigException;

/**
 * {@code thespian.admin.v1.Admin}: the running config, health, counters and standing fault plan, read and changed
 * live.
 */
final class AdminService extends AdminGrpc.AdminImplBase {

    /** A config document larger than this is refused before parsing; gRPC's own limit is 4 MiB. */
    static final int MAX_CONFIG_CHARS = 1 << 20;

    private final LiveConfig config;
    private final HealthControl health;
    private final CallStats stats;
    private final StandingFaults faults;
    private final RuntimeEvents events;

    AdminService(LiveConfig config, HealthControl health, CallStats stats, StandingFaults faults,
            RuntimeEvents events) {
        this.config = config;
        this.health = health;
        this.stats = stats;
        this.faults = faults;
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

    @Override
    public void getFaults(GetFaultsRequest request, StreamObserver<GetFaultsResponse> responses) {
        answer(responses, GetFaultsResponse.newBuilder().setPlan(faults.plan().orElse("")).build());
    }

    @Override
    public void setFaults(SetFaultsRequest request, StreamObserver<SetFaultsResponse> responses) {
        try {
            String previous = faults.set(request.getPlan(), "SetFaults", events).orElse("");
            answer(responses, SetFaultsResponse.newBuilder().setPrevious(previous).build());
        } catch (FaultPlan.InvalidFaultPlan e) {
            responses.onError(Status.INVALID_ARGUMENT.withDescription("SetFaults: " + e.getMessage())
                    .asRuntimeException());
        }
    }

    private static <T> void answer(StreamObserver<T> responses, T response) {
        responses.onNext(response);
        responses.onCompleted();
    }
}
