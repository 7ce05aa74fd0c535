package org.thespian.engine;

import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import org.thespian.config.Action;
import org.thespian.config.FailureCode;

/**
 * The process-wide budget of work in flight (THESPIAN_MAX_ACTIONS_IN_FLIGHT): every action (sleeps, CPU and
 * memory holds, functions, calls) and every single peer call, whether repeated, retried or fire-and-forget,
 * takes a place while it runs. Admission counts requests, and one request may start thousands of calls (a
 * {@code repeat} of 10,000 is one action); this counts what they start, so no number of requests can fill
 * the heap with it. Shared by every server of the process, as they share the heap.
 */
public final class ActionsInFlight {

    private final int max;
    private final AtomicInteger inFlight = new AtomicInteger();

    public ActionsInFlight(int max) {
        this.max = max;
    }

    /** Takes a place, or says why there is none for {@code action}. */
    Optional<ActionFailure> tryTake(Action action) {
        if (inFlight.incrementAndGet() <= max) {
            return Optional.empty();
        }
        inFlight.decrementAndGet();
        return Optional.of(ActionFailure.at(action, FailureCode.RESOURCE_EXHAUSTED, "more than " + max + " actions and peer"
                + " calls were in flight in this process (THESPIAN_MAX_ACTIONS_IN_FLIGHT)"));
    }

    void release() {
        inFlight.decrementAndGet();
    }

    /** {@code peers}, with each call holding a place until it ends. */
    PeerCaller counting(PeerCaller peers) {
        return new PeerCaller() {
            @Override
            public CompletableFuture<Void> call(Action.CallService call, Execution execution) {
                Optional<ActionFailure> full = tryTake(call);
                if (full.isPresent()) {
                    return CompletableFuture.failedFuture(full.get());
                }
                CompletableFuture<Void> outcome;
                try {
                    outcome = peers.call(call, execution);
                } catch (RuntimeException | Error e) {
                    release();
                    throw e;
                }
                outcome.whenComplete((ignored, error) -> release());
                return outcome;
            }

            @Override
            public CompletableFuture<Void> ready(Action.CallService call, Execution execution) {
                return peers.ready(call, execution);
            }
        };
    }
}
