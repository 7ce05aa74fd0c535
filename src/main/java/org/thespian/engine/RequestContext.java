package org.thespian.engine;

/**
 * What the request an {@link Execution} acts out carries from hop to hop, as a value that travels with it: a server
 * keeps there what each outgoing call must carry on (hop count, fault header, trace budget) and reads it back from
 * the execution wherever the request goes on. The engine may continue a request on any thread (a timer, a peer's
 * answer, another request that released a permit), so nothing of it may live in whatever that thread has current.
 * The engine itself only spends from the trace budget.
 */
public interface RequestContext {

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

    /** Nothing carried: the engine without a server around it. */
    RequestContext NONE = new RequestContext() {
    };
}
