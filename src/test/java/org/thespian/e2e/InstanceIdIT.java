package org.thespian.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.MetadataUtils;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.parallel.Execution;
import org.junit.jupiter.api.parallel.ExecutionMode;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.thespian.proto.Nothing;
import org.thespian.proto.ThespianGrpc;
import org.thespian.testsupport.ThespianProcess;

/**
 * One instance of a service outside a cast, as a pod of a Deployment runs: its instance id is THESPIAN_INSTANCE_ID,
 * else the host name (HOSTNAME, which Kubernetes sets to the pod's name); its log lines carry it, and a fault plan
 * entry naming it reaches this instance and no other of the service.
 */
@Execution(ExecutionMode.CONCURRENT) // each test starts a process of its own
class InstanceIdIT {

    @ParameterizedTest(name = "{0}={1}")
    @CsvSource({
        "THESPIAN_INSTANCE_ID, payment-7d4b9c6f5-x2k8q",
        "HOSTNAME, payment-5f6c7d8e9-q9zb4",
    })
    void anInstanceIsNamedByItsIdInItsLogLinesAndInFaultPlans(String variable, String id) throws Exception {
        try (ThespianProcess payment = ThespianProcess.start(Map.of("SERVICE_NAME", "payment", variable, id))) {
            assertEquals(Status.Code.OK, outcome(payment, "payment-other:abort=UNAVAILABLE"),
                    "a sibling's id does not reach this instance");
            assertEquals(Status.Code.UNAVAILABLE, outcome(payment, id + ":abort=UNAVAILABLE"));

            List<String> lines = payment.awaitStdout(all -> all.stream().filter(line ->
                    line.contains("\"logger\":\"thespian.request\"")).count() == 2, Duration.ofSeconds(20));
            List<String> requests = lines.stream().filter(line -> line.contains("\"logger\":\"thespian.request\""))
                    .toList();
            assertEquals(2, requests.size(), String.join("\n", lines));
            String named = "\"service_name\":\"payment\",\"service_instance_id\":\"" + id + "\"";
            assertTrue(requests.stream().allMatch(line -> line.contains(named)), String.join("\n", requests));
        }
    }

    private static Status.Code outcome(ThespianProcess thespian, String faultPlan) {
        Metadata headers = new Metadata();
        headers.put(Metadata.Key.of("thespian-fault", Metadata.ASCII_STRING_MARSHALLER), faultPlan);
        ThespianGrpc.ThespianBlockingStub stub = thespian.blockingStub()
                .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers));
        try {
            stub.a(Nothing.getDefaultInstance());
            return Status.Code.OK;
        } catch (StatusRuntimeException e) {
            return e.getStatus().getCode();
        }
    }
}
