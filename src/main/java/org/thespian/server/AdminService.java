package org.thespian.server;

import io.grpc.Status;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
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
import org.thespian.config.TextFile;
import org.thespian.config.Excerpt;

/**
 * {@code thespian.admin.v1.Admin}: the running config, health, counters and standing fault plan, read and changed
 * live.
 */
final class AdminService extends AdminGrpc.AdminImplBase {

    /** A problem quotes the document's keys, which may be any length: the answer and the log keep this much. */
    static final int MAX_PROBLEM_CHARS = 1000;

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
        // The same cap as a CONFIG_FILE at startup, counted the same way: in UTF-8 bytes.
        if (request.getConfigJsonBytes().size() > TextFile.MAX_BYTES) {
            refuseConfig(responses, "SetConfig: config_json is larger than the limit of " + (TextFile.MAX_BYTES >> 20)
                    + " MB, as CONFIG_FILE is");
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
        String shown = Excerpt.of(problem, MAX_PROBLEM_CHARS);
        events.configRejected("SetConfig", shown);
        responses.onError(Status.INVALID_ARGUMENT.withDescription(shown).asRuntimeException());
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
        Optional<HealthCheckResponse.ServingStatus> previous = health.setUnlessShuttingDown(next);
        if (previous.isEmpty()) {
            responses.onError(Status.FAILED_PRECONDITION.withDescription(
                    "SetHealth: shutting down: health stays NOT_SERVING while calls are refused").asRuntimeException());
            return;
        }
        answer(responses, SetHealthResponse.newBuilder()
                .setPrevious(previous.get() == HealthCheckResponse.ServingStatus.SERVING
                        ? ServingStatus.SERVING
                        : ServingStatus.NOT_SERVING)
                .build());
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
