package org.thespian.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.stub.MetadataUtils;
import io.grpc.stub.StreamObserver;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
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
import org.thespian.config.ConfigSource;
import org.thespian.config.TextFile;
import org.thespian.proto.Nothing;
import org.thespian.testsupport.InProcessThespian;

/** The admin service, served only when asked for, and only to the token's holder. */
class AdminServiceTest {

    private static final Nothing NOTHING = Nothing.getDefaultInstance();
    private static final String TOKEN = "s3cret-admin-token";
    private static final String FAILING_B = """
            {"grpc_method_b": {"tracing_name": "broken", "operations": [
                {"Action": {"Sleep": {"tracing_name": "always fails", "duration_ms": 1, "failure_chance": 1}}}]}}""";

    private static Map<String, String> admin(String config, Optional<String> token) {
        Map<String, String> env = new HashMap<>(Map.of("CONFIG_JSON", config, "THESPIAN_ADMIN", "true"));
        token.ifPresent(value -> env.put("THESPIAN_ADMIN_TOKEN", value));
        return env;
    }

    private static AdminGrpc.AdminBlockingStub adminStub(InProcessThespian thespian, String authorization) {
        AdminGrpc.AdminBlockingStub stub = AdminGrpc.newBlockingStub(thespian.channel())
                .withDeadlineAfter(10, TimeUnit.SECONDS);
        if (authorization == null) {
            return stub;
        }
        Metadata headers = new Metadata();
        headers.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), authorization);
        return stub.withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers));
    }

    @Test
    void withoutThespianAdminTheServiceDoesNotExist() {
        try (InProcessThespian thespian = InProcessThespian.start("{}")) {
            StatusRuntimeException error = assertThrows(StatusRuntimeException.class,
                    () -> adminStub(thespian, null).getConfig(GetConfigRequest.getDefaultInstance()));
            assertEquals(Status.Code.UNIMPLEMENTED, error.getStatus().getCode());
        }
    }

    @Test
    void aMissingOrWrongTokenIsRefused() {
        try (InProcessThespian thespian = InProcessThespian.start(admin("{}", Optional.of(TOKEN)))) {
            for (String authorization : new String[] {null, "Bearer wrong", "Bearer " + TOKEN + "x", TOKEN,
                    "Basic " + TOKEN}) {
                StatusRuntimeException error = assertThrows(StatusRuntimeException.class,
                        () -> adminStub(thespian, authorization).getConfig(GetConfigRequest.getDefaultInstance()));
                assertEquals(Status.Code.UNAUTHENTICATED, error.getStatus().getCode(), authorization);
            }
            assertEquals(1, adminStub(thespian, "Bearer " + TOKEN)
                    .getConfig(GetConfigRequest.getDefaultInstance()).getRevision());
        }
    }

    @Test
    void setConfigChangesWhatNewCallsDoAndABadDocumentChangesNothing() {
        try (InProcessThespian thespian = InProcessThespian.start(admin("{}", Optional.empty()))) {
            AdminGrpc.AdminBlockingStub admin = adminStub(thespian, null);
            GetConfigResponse initial = admin.getConfig(GetConfigRequest.getDefaultInstance());
            assertEquals("{}", initial.getConfigJson());
            assertEquals(1, initial.getRevision());
            thespian.blockingStub().b(NOTHING);

            String bad = FAILING_B.replace("\"duration_ms\": 1", "\"duration_ms\": -1");
            StatusRuntimeException refused = assertThrows(StatusRuntimeException.class,
                    () -> admin.setConfig(SetConfigRequest.newBuilder().setConfigJson(bad).build()));
            assertEquals(Status.Code.INVALID_ARGUMENT, refused.getStatus().getCode());
            assertTrue(refused.getStatus().getDescription().startsWith(
                    "SetConfig: grpc_method_b.operations[0].Action.Sleep.duration_ms: "),
                    refused.getStatus().getDescription());
            assertEquals(initial, admin.getConfig(GetConfigRequest.getDefaultInstance()));
            thespian.blockingStub().b(NOTHING);

            assertEquals(2, admin.setConfig(SetConfigRequest.newBuilder().setConfigJson(FAILING_B).build())
                    .getRevision());
            assertEquals(FAILING_B, admin.getConfig(GetConfigRequest.getDefaultInstance()).getConfigJson());
            StatusRuntimeException failed = assertThrows(StatusRuntimeException.class, () -> thespian.blockingStub().b(NOTHING));
            assertTrue(failed.getStatus().getDescription().startsWith("broken > always fails: failed by chance"));
        }
    }

    @Test
    void setConfigTakesADocumentAsLargeAsStartupWouldAndGetConfigReadsItBack() {
        // Larger than the 1 MiB SetConfig took before and than gRPC's default 4 MiB for messages.
        String large = "// " + "padding ".repeat(5 << 17) + "\n" + FAILING_B;
        try (InProcessThespian thespian = InProcessThespian.start(admin("{}", Optional.empty()))) {
            AdminGrpc.AdminBlockingStub admin = adminStub(thespian, null)
                    .withMaxInboundMessageSize(ThespianServer.MAX_ADMIN_MESSAGE_BYTES)
                    .withMaxOutboundMessageSize(ThespianServer.MAX_ADMIN_MESSAGE_BYTES);
            assertEquals(2, admin.setConfig(SetConfigRequest.newBuilder().setConfigJson(large).build()).getRevision());
            assertEquals(large, admin.getConfig(GetConfigRequest.getDefaultInstance()).getConfigJson());
        }
    }

    @Test
    void aDocumentNamingAnotherServiceIsRefusedNamingBothNames() {
        String checkout = "{\"service_name\": \"checkout\"}";
        try (InProcessThespian thespian = InProcessThespian.start(admin(checkout, Optional.empty()))) {
            AdminGrpc.AdminBlockingStub admin = adminStub(thespian, null);
            StatusRuntimeException refused = assertThrows(StatusRuntimeException.class, () -> admin.setConfig(
                    SetConfigRequest.newBuilder().setConfigJson("{\"service_name\": \"payment\"}").build()));
            assertEquals(Status.Code.INVALID_ARGUMENT, refused.getStatus().getCode());
            assertEquals("SetConfig: service_name: \"payment\" is not this instance's name \"checkout\", which is"
                    + " fixed at startup: restart it to rename it, or leave service_name out",
                    refused.getStatus().getDescription());
            assertEquals(1, admin.getConfig(GetConfigRequest.getDefaultInstance()).getRevision());

            assertEquals(2, admin.setConfig(SetConfigRequest.newBuilder().setConfigJson(checkout).build()).getRevision());
            assertEquals(3, admin.setConfig(SetConfigRequest.newBuilder().setConfigJson(FAILING_B).build())
                    .getRevision(), "a document without service_name keeps the name");
        }
    }

    @Test
    void aServiceNameTheEnvironmentOverrodeAtStartupMayBeRepeated() {
        Map<String, String> env = admin("{\"service_name\": \"from-config\"}", Optional.empty());
        env.put("SERVICE_NAME", "from-env");
        try (InProcessThespian thespian = InProcessThespian.start(env)) {
            AdminGrpc.AdminBlockingStub admin = adminStub(thespian, null);
            assertEquals(2, admin.setConfig(SetConfigRequest.newBuilder()
                    .setConfigJson("{\"service_name\": \"from-config\"}").build()).getRevision());
            assertEquals(3, admin.setConfig(SetConfigRequest.newBuilder()
                    .setConfigJson("{\"service_name\": \"from-env\"}").build()).getRevision());
            StatusRuntimeException refused = assertThrows(StatusRuntimeException.class, () -> admin.setConfig(
                    SetConfigRequest.newBuilder().setConfigJson("{\"service_name\": \"third\"}").build()));
            assertTrue(refused.getStatus().getDescription().contains("\"third\" is not this instance's name"
                    + " \"from-env\""), refused.getStatus().getDescription());
        }
    }

    @Test
    void aRefusedDocumentIsQuotedOnlyInPart() {
        try (InProcessThespian thespian = InProcessThespian.start(admin("{}", Optional.empty()))) {
            String hugeKey = "{\"" + "x".repeat(50_000) + "\": 1}";
            StatusRuntimeException refused = assertThrows(StatusRuntimeException.class, () -> adminStub(thespian, null)
                    .setConfig(SetConfigRequest.newBuilder().setConfigJson(hugeKey).build()));
            assertEquals(Status.Code.INVALID_ARGUMENT, refused.getStatus().getCode());
            String description = refused.getStatus().getDescription();
            assertTrue(description.startsWith("SetConfig: unknown key \"xxx"), description);
            assertTrue(description.length() < AdminService.MAX_PROBLEM_CHARS + 40, description.length() + " characters");
            assertTrue(description.endsWith(" more characters)"), description);
        }
    }

    @Test
    void setHealthIsWhatCheckAndWatchReport() throws Exception {
        try (InProcessThespian thespian = InProcessThespian.start(admin("{}", Optional.empty()))) {
            LinkedBlockingQueue<HealthCheckResponse.ServingStatus> watched = new LinkedBlockingQueue<>();
            HealthGrpc.newStub(thespian.channel()).watch(HealthCheckRequest.newBuilder().setService("thespian.Thespian")
                    .build(), new StreamObserver<>() {
                        @Override
                        public void onNext(HealthCheckResponse response) {
                            watched.add(response.getStatus());
                        }

                        @Override
                        public void onError(Throwable error) {
                        }

                        @Override
                        public void onCompleted() {
                        }
                    });
            assertEquals(HealthCheckResponse.ServingStatus.SERVING, watched.poll(10, TimeUnit.SECONDS));

            AdminGrpc.AdminBlockingStub admin = adminStub(thespian, null);
            assertEquals(ServingStatus.SERVING, admin.setHealth(SetHealthRequest.newBuilder()
                    .setStatus(ServingStatus.NOT_SERVING).build()).getPrevious());
            assertEquals(HealthCheckResponse.ServingStatus.NOT_SERVING, watched.poll(10, TimeUnit.SECONDS));
            assertEquals(HealthCheckResponse.ServingStatus.NOT_SERVING, HealthGrpc.newBlockingStub(thespian.channel())
                    .check(HealthCheckRequest.getDefaultInstance()).getStatus());
            thespian.blockingStub().a(NOTHING); // a sick replica still answers: only its health says otherwise

            admin.setHealth(SetHealthRequest.newBuilder().setStatus(ServingStatus.SERVING).build());
            assertEquals(HealthCheckResponse.ServingStatus.SERVING, watched.poll(10, TimeUnit.SECONDS));

            StatusRuntimeException error = assertThrows(StatusRuntimeException.class,
                    () -> admin.setHealth(SetHealthRequest.getDefaultInstance()));
            assertEquals(Status.Code.INVALID_ARGUMENT, error.getStatus().getCode());
        }
    }

    @Test
    void setHealthFlipsReadinessButNeverLiveness() {
        try (InProcessThespian thespian = InProcessThespian.start(admin("{}", Optional.empty()))) {
            HealthGrpc.HealthBlockingStub health = HealthGrpc.newBlockingStub(thespian.channel())
                    .withDeadlineAfter(10, TimeUnit.SECONDS);
            HealthCheckRequest liveness = HealthCheckRequest.newBuilder()
                    .setService(ThespianServer.LIVENESS_SERVICE).build();
            assertEquals(HealthCheckResponse.ServingStatus.SERVING, health.check(liveness).getStatus());

            adminStub(thespian, null).setHealth(SetHealthRequest.newBuilder()
                    .setStatus(ServingStatus.NOT_SERVING).build());
            assertEquals(HealthCheckResponse.ServingStatus.NOT_SERVING, health.check(HealthCheckRequest.newBuilder()
                    .setService("thespian.Thespian").build()).getStatus());
            assertEquals(HealthCheckResponse.ServingStatus.SERVING, health.check(liveness).getStatus(),
                    "a replica made sick on purpose must not be restarted by its liveness probe");
        }
    }

    @Test
    void statsCountCallsAndFailuresByCodePerMethod() {
        try (InProcessThespian thespian = InProcessThespian.start(admin(FAILING_B, Optional.empty()))) {
            for (int i = 0; i < 3; i++) {
                thespian.blockingStub().a(NOTHING);
            }
            assertThrows(StatusRuntimeException.class, () -> thespian.blockingStub().b(NOTHING));
            assertThrows(StatusRuntimeException.class,
                    () -> thespian.blockingStubWithHeader("thespian-fault", "*:abort=UNAVAILABLE").b(NOTHING));
            GetStatsResponse stats = adminStub(thespian, null).getStats(GetStatsRequest.getDefaultInstance());
            assertEquals(1, stats.getConfigRevision());
            Map<String, MethodStats> byMethod = new HashMap<>();
            stats.getMethodsList().forEach(method -> byMethod.put(method.getMethod(), method));
            assertEquals(3, byMethod.get("thespian.Thespian/A").getCalls());
            assertEquals(Map.of(), byMethod.get("thespian.Thespian/A").getFailuresMap());
            assertEquals(2, byMethod.get("thespian.Thespian/B").getCalls());
            assertEquals(Map.of("INTERNAL", 1L, "UNAVAILABLE", 1L), byMethod.get("thespian.Thespian/B").getFailuresMap());
            assertEquals(0, byMethod.get("thespian.Thespian/B").getInFlight());
            assertEquals(0, byMethod.get("thespian.Thespian/C").getCalls());
        }
    }

    @Test
    void aRefusedDocumentIsReportedAsARejectedConfig() throws Exception {
        List<String> rejected = new CopyOnWriteArrayList<>();
        RuntimeEvents events = new RuntimeEvents() {
            @Override
            public void configRejected(String origin, String problem) {
                rejected.add(origin + ": " + problem);
            }
        };
        LiveConfig live = new LiveConfig(ConfigSource.load(Map.of("CONFIG_JSON", "{}")), "thespian", revision -> { });
        AdminService service = new AdminService(live, new HealthControl(events), new CallStats(),
                new StandingFaults(), events);
        LinkedBlockingQueue<Throwable> errors = new LinkedBlockingQueue<>();
        StreamObserver<SetConfigResponse> responses = new StreamObserver<>() {
            @Override
            public void onNext(SetConfigResponse value) {
            }

            @Override
            public void onError(Throwable t) {
                errors.add(t);
            }

            @Override
            public void onCompleted() {
            }
        };

        service.setConfig(SetConfigRequest.newBuilder().setConfigJson("{\"grpc_method_a\": 7}").build(), responses);
        service.setConfig(SetConfigRequest.newBuilder().setConfigJson(" ".repeat(TextFile.MAX_BYTES + 1))
                .build(), responses);

        assertEquals(2, rejected.size(), rejected.toString());
        assertTrue(rejected.get(0).startsWith("SetConfig: ") && rejected.get(0).contains("grpc_method_a"), rejected.get(0));
        assertTrue(rejected.get(1).contains("larger than the limit of 64 MB"), rejected.get(1));
        assertEquals(Status.Code.INVALID_ARGUMENT, Status.fromThrowable(errors.take()).getCode());
        assertEquals(1, live.current().number(), "the running config stays");
    }
}
