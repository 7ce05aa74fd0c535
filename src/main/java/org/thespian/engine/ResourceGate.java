package org.thespian.engine;

import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;
import org.thespian.config.FailureCode;
import org.thespian.config.Function;
import org.thespian.config.Resource;

/**
 * Runs a function that names a {@code resource} while it holds one of the resource's permits: it waits its
 * turn (in a {@code waiting for <resource>} scope, only when it had to wait), runs, and gives the permit
 * back however it ended, cancellation included.
 */
final class ResourceGate {

    private ResourceGate() {
    }

    static CompletableFuture<Void> run(Bulkheads bulkheads, Function function, ActionScope scope, Execution execution,
            Supplier<CompletableFuture<Void>> body) {
        Resource resource = function.resource().orElseThrow();
        Bulkheads.Turn turn = bulkheads.acquire(resource);
        Bulkhead bulkhead = turn.bulkhead();
        Optional<CompletableFuture<Void>> queued = turn.permit();
        if (queued.isEmpty()) {
            return CompletableFuture.failedFuture(ActionFailure.at(function, FailureCode.RESOURCE_EXHAUSTED,
                    "resource \"" + resource.name() + "\" is full: " + resource.maxConcurrent() + " running and "
                            + resource.queue() + " waiting (resources." + resource.name() + ")"));
        }
        CompletableFuture<Void> permit = queued.get();
        if (permit.isDone()) {
            return holding(bulkhead, body);
        }
        ActionScope waiting = scope.begin(new Step.Waiting(resource));
        Runnable unregister = execution.onCancel(() -> bulkhead.giveUp(permit));
        CompletableFuture<Void> done = new CompletableFuture<>();
        permit.whenComplete((ignored, error) -> {
            unregister.run();
            boolean callerGone = error == null && execution.isOver();
            if (callerGone) {
                bulkhead.release(); // to the next in line: nobody waits for this request's answer any more
            }
            if (error != null || callerGone) {
                ActionFailure cancelled = execution.cancellationOf(function);
                waiting.failed(cancelled);
                done.completeExceptionally(cancelled);
                return;
            }
            waiting.succeeded();
            holding(bulkhead, body).whenComplete((result, failure) -> {
                if (failure == null) {
                    done.complete(null);
                } else {
                    done.completeExceptionally(failure);
                }
            });
        });
        return done;
    }

    private static CompletableFuture<Void> holding(Bulkhead bulkhead, Supplier<CompletableFuture<Void>> body) {
        CompletableFuture<Void> running;
        try {
            running = body.get();
        } catch (RuntimeException | Error e) {
            running = CompletableFuture.failedFuture(e);
        }
        return running.whenComplete((ignored, error) -> bulkhead.release());
    }
}
