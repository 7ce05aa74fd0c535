package org.thespian.server;

import io.grpc.Status;
import java.util.OptionalDouble;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.thespian.config.Action;
import org.thespian.engine.ActionFailure;
import org.thespian.engine.ActionListener;
import org.thespian.engine.ActionScope;
import org.thespian.engine.Execution;
import org.thespian.engine.Scheduler;
import org.thespian.engine.Step;

/**
 * Acts out a request's {@link FaultPlan.Injection} before the method's function: the delay as a timer (never a
 * thread) with its own span {@code injected delay} beside the function's, then the abort, if one came up.
 */
final class FaultInjector {

    static final String DELAY_NAME = "injected delay";

    private final Scheduler scheduler;
    private final ActionListener listener;
    private final RuntimeEvents events;

    FaultInjector(Scheduler scheduler, ActionListener listener, RuntimeEvents events) {
        this.scheduler = scheduler;
        this.listener = listener;
        this.events = events;
    }

    /**
     * Runs the injection, then {@code function} unless the call is aborted. Must be called on the request's
     * thread, as {@code function} later runs in the request's scope.
     *
     * @return the function's outcome; an abort is a {@link InjectedAbort}
     */
    CompletableFuture<Void> inject(FaultPlan.Injection injection, Execution execution,
            Supplier<CompletableFuture<Void>> function) {
        ActionScope request = listener.requestScope();
        CompletableFuture<Void> delayed = injection.delayMillis() == 0 && injection.delays().isEmpty()
                ? CompletableFuture.completedFuture(null)
                : delay(injection, request, execution);
        return delayed.thenCompose(ignored -> request.enter(() -> {
            if (injection.abort().isPresent()) {
                FaultPlan.Aborting abort = injection.abort().get();
                events.faultInjected(abort.entry());
                return CompletableFuture.failedFuture(new InjectedAbort(abort));
            }
            return function.get();
        }));
    }

    private CompletableFuture<Void> delay(FaultPlan.Injection injection, ActionScope request, Execution execution) {
        Action.Sleep action = new Action.Sleep(DELAY_NAME, injection.delayMillis(), OptionalDouble.empty());
        ActionScope scope = request.begin(new Step.Act(action));
        scope.enter(() -> {
            injection.delays().forEach(events::faultInjected);
            return null;
        });
        return scheduler.delay(TimeUnit.MILLISECONDS.toNanos(injection.delayMillis()), execution, action)
                .whenComplete((ignored, error) -> {
                    if (error == null) {
                        scope.succeeded();
                    } else {
                        scope.failed((ActionFailure) error);
                    }
                });
    }

    /** The answer of an aborted call: the entry's code, with a message that says it was injected. */
    static final class InjectedAbort extends RuntimeException {
        private final FaultPlan.Abort abort;

        InjectedAbort(FaultPlan.Aborting aborting) {
            super("injected fault: " + aborting.entry().text(), null, false, false);
            this.abort = aborting.abort();
        }

        Status status() {
            return StatusCodes.statusOf(abort.code()).withDescription(getMessage());
        }
    }
}
