package org.thespian.server;

import io.grpc.Context;
import java.util.function.Supplier;
import org.thespian.config.Action;
import org.thespian.engine.ActionFailure;
import org.thespian.engine.ActionListener;
import org.thespian.engine.ActionScope;

/**
 * Keeps each request's gRPC {@link Context} (its hop count and fault header) attached while its peer calls
 * start, whatever thread the engine continues on: a timer, a peer's answer, or another request's thread that
 * released something it waited for. So a peer call always forwards its own request's metadata.
 */
final class RequestContextListener implements ActionListener {

    private final ActionListener delegate;

    RequestContextListener(ActionListener delegate) {
        this.delegate = delegate;
    }

    @Override
    public ActionScope requestScope() {
        return new Scope(Context.current(), delegate.requestScope());
    }

    @Override
    public ActionScope begin(ActionScope parent, Action action) {
        Scope request = (Scope) parent;
        return new Scope(request.context, delegate.begin(request.delegate, action));
    }

    /**
     * Forwards everything to the delegate's scope; only {@link #enter} adds the context. A method added to
     * {@link ActionScope} must be forwarded here too, or telemetry stops seeing it.
     */
    private static final class Scope implements ActionScope {
        private final Context context;
        private final ActionScope delegate;

        Scope(Context context, ActionScope delegate) {
            this.context = context;
            this.delegate = delegate;
        }

        @Override
        public <T> T enter(Supplier<T> work) {
            Context previous = context.attach();
            try {
                return delegate.enter(work);
            } finally {
                context.detach(previous);
            }
        }

        @Override
        public void succeeded() {
            delegate.succeeded();
        }

        @Override
        public void failed(ActionFailure failure) {
            delegate.failed(failure);
        }

        @Override
        public void rolled(double chance, double roll) {
            delegate.rolled(chance, roll);
        }

        @Override
        public void drew(double millis) {
            delegate.drew(millis);
        }

        @Override
        public void skipped() {
            delegate.skipped();
        }

        @Override
        public ActionScope attempt(int repetition, int attempt) {
            return new Scope(context, delegate.attempt(repetition, attempt));
        }

        @Override
        public ActionScope waiting(String resource) {
            return new Scope(context, delegate.waiting(resource));
        }
    }
}
