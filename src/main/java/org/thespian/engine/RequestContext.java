package org.thespian.engine;

import java.util.function.Supplier;

/**
 * The ambient context of the request an {@link Execution} acts out, re-entered while one of its peer calls
 * starts or handles the answer: a server keeps there what each outgoing call must carry on (hop count, fault
 * header). The engine may continue a request on any thread (a timer, a peer's answer, another request that
 * released a permit), so it cannot rely on whatever that thread has current.
 */
public interface RequestContext {

    <T> T enter(Supplier<T> work);

    /**
     * The budget of the trace this request belongs to: what its caller handed on, or {@code units} when the
     * request starts a trace. The same budget every time it is asked for.
     */
    default TraceBudget traceBudget(long units) {
        return TraceBudget.UNLIMITED;
    }

    /**
     * The context of work this request starts and does not wait for (a fire-and-forget call): the same, with
     * {@link TraceBudget#split half} of the trace budget left to this request, since it may outlive the request.
     */
    default RequestContext forBackground() {
        return this;
    }

    /** No context of its own: the engine without a server around it. */
    RequestContext NONE = new RequestContext() {
        @Override
        public <T> T enter(Supplier<T> work) {
            return work.get();
        }
    };
}
