package org.thespian.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.MetadataUtils;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.thespian.admin.proto.AdminGrpc;
import org.thespian.admin.proto.GetFaultsRequest;
import org.thespian.admin.proto.SetFaultsRequest;
import org.thespian.proto.Nothing;
import org.thespian.testsupport.InProcessThespian;

/** A standing fault plan, set with the admin service: applied to calls from clients, carried down the chain. */
class StandingFaultsTest {

    private static final Nothing NOTHING = Nothing.getDefaultInstance();
    private static final String BACK = """
            {"service_name": "back", "grpc_method_b": {"tracing_name": "store", "operations": [
                {"Action": {"Sleep": {"tracing_name": "write", "duration_ms": 1}}}]}}""";

    private static String front(int backPort) {
        return """
                {"service_name": "front", "grpc_method_a": {"tracing_name": "serve", "operations": [
                    {"Action": {"CallService": {"tracing_name": "store it", "service_address": "127.0.0.1",
                        "service_port": %d, "grpc_method": "B"}}}]}}""".formatted(backPort);
    }

    private static InProcessThespian withAdmin(String config) {
        return InProcessThespian.start(Map.of("CONFIG_JSON", config, "THESPIAN_ADMIN", "true"));
    }

    private static AdminGrpc.AdminBlockingStub admin(InProcessThespian thespian) {
        return AdminGrpc.newBlockingStub(thespian.channel()).withDeadlineAfter(10, TimeUnit.SECONDS);
    }

    private static String setFaults(InProcessThespian thespian, String plan) {
        return admin(thespian).setFaults(SetFaultsRequest.newBuilder().setPlan(plan).build()).getPrevious();
    }

    @Test
    void aStandingPlanOnTheEntranceReachesThePeerItNamesUntilCleared() {
        try (InProcessThespian back = withAdmin(BACK); InProcessThespian front = withAdmin(front(back.port()))) {
            front.blockingStub().a(NOTHING);
            assertEquals("", setFaults(front, "back:abort=UNAVAILABLE"));
            assertEquals("back:abort=UNAVAILABLE", admin(front).getFaults(GetFaultsRequest.getDefaultInstance())
                    .getPlan());
            StatusRuntimeException error = assertThrows(StatusRuntimeException.class, () -> front.blockingStub().a(NOTHING));
            assertEquals(Status.Code.UNAVAILABLE, error.getStatus().getCode());
            assertTrue(error.getStatus().getDescription().contains("injected fault: back:abort=UNAVAILABLE"),
                    error.getStatus().getDescription());

            assertEquals("back:abort=UNAVAILABLE", setFaults(front, ""));
            front.blockingStub().a(NOTHING);
            assertEquals("", admin(front).getFaults(GetFaultsRequest.getDefaultInstance()).getPlan());
        }
    }

    @Test
    void theStandingPlanFollowsARequestsOwnEntriesAndAppliesOnlyToCallsFromClients() {
        try (InProcessThespian back = withAdmin(BACK); InProcessThespian front = withAdmin(front(back.port()))) {
            setFaults(front, "front:delay=0ms,back:abort=NOT_FOUND");
            // The request's own abort comes first, so it wins over the standing one; both travel on.
            Metadata headers = new Metadata();
            headers.put(RequestMetadata.FAULT_HEADER, "back:abort=DATA_LOSS");
            StatusRuntimeException own = assertThrows(StatusRuntimeException.class, () -> front.blockingStub()
                    .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers)).a(NOTHING));
            assertEquals(Status.Code.DATA_LOSS, own.getStatus().getCode());

            // back's own standing plan does not apply to front's calls: those entered the chain at front.
            setFaults(front, "");
            setFaults(back, "back:abort=UNAVAILABLE");
            front.blockingStub().a(NOTHING);
            StatusRuntimeException direct = assertThrows(StatusRuntimeException.class, () -> back.blockingStub().b(NOTHING));
            assertEquals(Status.Code.UNAVAILABLE, direct.getStatus().getCode());
        }
    }

    @Test
    void aBadPlanIsRefusedNamingTheEntryAndTheStandingPlanStays() {
        try (InProcessThespian back = withAdmin(BACK)) {
            setFaults(back, "back:delay=5ms");
            StatusRuntimeException error = assertThrows(StatusRuntimeException.class,
                    () -> setFaults(back, "back:delay=5ms,back:abort=NOPE"));
            assertEquals(Status.Code.INVALID_ARGUMENT, error.getStatus().getCode());
            assertTrue(error.getStatus().getDescription().startsWith("SetFaults: thespian-fault entry 2"
                    + " \"back:abort=NOPE\": expected a gRPC status code name"), error.getStatus().getDescription());
            assertEquals("back:delay=5ms", admin(back).getFaults(GetFaultsRequest.getDefaultInstance()).getPlan());
        }
    }

    @Test
    void aRequestsOwnBadHeaderIsStillRefusedWhileAPlanStands() {
        try (InProcessThespian back = withAdmin(BACK)) {
            setFaults(back, "back:delay=1ms");
            Metadata headers = new Metadata();
            headers.put(RequestMetadata.FAULT_HEADER, "back:delai=5ms");
            StatusRuntimeException error = assertThrows(StatusRuntimeException.class, () -> back.blockingStub()
                    .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers)).b(NOTHING));
            assertEquals(Status.Code.INVALID_ARGUMENT, error.getStatus().getCode());
            assertTrue(error.getStatus().getDescription().startsWith("thespian-fault entry 1 \"back:delai=5ms\""),
                    error.getStatus().getDescription());
        }
    }
}
