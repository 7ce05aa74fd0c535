package org.thespian.server;

import io.grpc.ClientInterceptor;
import io.grpc.ServerInterceptor;
import java.util.List;
import org.thespian.engine.ActionListener;

/** What telemetry adds around the server: it wraps the RPCs and follows the engine, and changes neither. */
public record Instrumentation(
        List<ServerInterceptor> serverInterceptors,
        List<ClientInterceptor> clientInterceptors,
        ActionListener actionListener,
        RuntimeEvents runtimeEvents) {

    public static final Instrumentation NONE =
            new Instrumentation(List.of(), List.of(), ActionListener.NONE, RuntimeEvents.NONE);

    public Instrumentation {
        serverInterceptors = List.copyOf(serverInterceptors);
        clientInterceptors = List.copyOf(clientInterceptors);
    }
}
