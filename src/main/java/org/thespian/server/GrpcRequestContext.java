package org.thespian.server;

import io.grpc.Context;
import java.util.function.Supplier;
import org.thespian.engine.RequestContext;

/**
 * A request's gRPC {@link Context}, where its hop count and fault header live, attached while its peer calls
 * start and handle their answers, so each forwards its own request's metadata whatever thread it runs on.
 */
record GrpcRequestContext(Context context) implements RequestContext {

    @Override
    public <T> T enter(Supplier<T> work) {
        Context previous = context.attach();
        try {
            return work.get();
        } finally {
            context.detach(previous);
        }
    }
}
