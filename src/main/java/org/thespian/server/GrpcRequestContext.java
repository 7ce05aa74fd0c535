package org.thespian.server;

import io.grpc.Context;
import java.util.function.Supplier;
import org.thespian.engine.RequestContext;
import org.thespian.engine.TraceBudget;

/**
 * A request's gRPC {@link Context}, where its hop count, fault header and trace budget live, attached while its
 * peer calls start and handle their answers, so each forwards its own request's metadata whatever thread it
 * runs on.
 */
final class GrpcRequestContext implements RequestContext {

    /** Replaced once, when a request that starts a trace gets its budget. */
    private volatile Context context;
    private volatile TraceBudget budget;

    GrpcRequestContext(Context context) {
        this.context = context;
    }

    @Override
    public <T> T enter(Supplier<T> work) {
        Context current = context;
        Context previous = current.attach();
        try {
            return work.get();
        } finally {
            current.detach(previous);
        }
    }

    /**
     * The budget a caller lent, or a new one of {@code units} put in the context, so that the calls this
     * request makes lend from it. Only requests that act something out get one: a request answered at once
     * costs nothing more.
     */
    @Override
    public TraceBudget traceBudget(long units) {
        TraceBudget known = budget;
        if (known != null) {
            return known;
        }
        synchronized (this) {
            if (budget == null) {
                RequestMetadata metadata = RequestMetadata.in(context);
                if (metadata.budget().isPresent()) {
                    budget = metadata.budget().get();
                } else {
                    TraceBudget started = new TraceBudget(units);
                    context = metadata.withBudget(started).attachTo(context);
                    budget = started;
                }
            }
            return budget;
        }
    }

    @Override
    public RequestContext forBackground() {
        TraceBudget known = budget;
        if (known == null) {
            return this; // nothing acted out, so nothing to share
        }
        TraceBudget half = known.split();
        GrpcRequestContext background = new GrpcRequestContext(
                RequestMetadata.in(context).withBudget(half).attachTo(context));
        background.budget = half;
        return background;
    }
}
