package org.thespian.e2e;

import com.google.common.util.concurrent.Futures;
import com.google.common.util.concurrent.ListenableFuture;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.thespian.proto.Nothing;
import org.thespian.proto.ThespianGrpc;
import org.thespian.testsupport.ThespianProcess;

/** A supervisor that never reads the jar's stdout, as careless ones do, must not stall its requests. */
class UnreadStdoutIT {

    private static final Nothing NOTHING = Nothing.getDefaultInstance();

    @Test
    void anUnreadStdoutNeverStallsRequests() throws Exception {
        try (ThespianProcess thespian = ThespianProcess.startWithUnreadStdout(Map.of("CONFIG_JSON", """
                {"grpc_method_a": {"tracing_name": "quick", "operations": [
                  {"Action": {"Sleep": {"tracing_name": "nap", "duration_ms": 0}}}]}}"""))) {
            ThespianGrpc.ThespianFutureStub stub = ThespianGrpc.newFutureStub(thespian.channel());
            // ~300 bytes of log per request: 3,000 requests write far more than a 64 KiB pipe holds.
            for (int batch = 0; batch < 10; batch++) {
                List<ListenableFuture<Nothing>> calls = new ArrayList<>();
                for (int i = 0; i < 300; i++) {
                    calls.add(stub.withDeadlineAfter(10, TimeUnit.SECONDS).a(NOTHING));
                }
                Futures.allAsList(calls).get();
            }
        }
    }
}
