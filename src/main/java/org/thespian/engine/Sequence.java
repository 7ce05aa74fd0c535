package org.thespian.engine;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntFunction;

/**
 * Runs steps one after another, each once the one before has finished, in a loop rather than a chain of
 * callbacks: a step that completes at once (a 0 ms sleep) does not add a stack frame, so a function of any
 * length runs in constant stack. The first failure stops the sequence.
 */
final class Sequence {

    private final int count;
    private final IntFunction<CompletableFuture<Void>> steps;
    private final CompletableFuture<Void> done = new CompletableFuture<>();
    /** Completions not yet handled; whoever raises it from zero runs the loop, the others leave it work. */
    private final AtomicInteger pending = new AtomicInteger();
    /** Touched only by the thread running the loop; handed over through {@link #pending}. */
    private int next;
    private volatile Throwable failure;

    private Sequence(int count, IntFunction<CompletableFuture<Void>> steps) {
        this.count = count;
        this.steps = steps;
    }

    /** Runs {@code steps.apply(0)} to {@code steps.apply(count - 1)} in order. */
    static CompletableFuture<Void> run(int count, IntFunction<CompletableFuture<Void>> steps) {
        Sequence sequence = new Sequence(count, steps);
        sequence.advance();
        return sequence.done;
    }

    private void advance() {
        if (pending.getAndIncrement() != 0) {
            return;
        }
        do {
            CompletableFuture<Void> step;
            do {
                if (failure != null) {
                    done.completeExceptionally(failure);
                    return;
                }
                if (next == count) {
                    done.complete(null);
                    return;
                }
                step = startStep(next++);
            } while (Engine.succeededAlready(step));
            step.whenComplete((ignored, error) -> {
                if (error != null) {
                    failure = error;
                }
                advance();
            });
        } while (pending.decrementAndGet() != 0);
    }

    private CompletableFuture<Void> startStep(int index) {
        try {
            return steps.apply(index);
        } catch (RuntimeException | Error e) {
            return CompletableFuture.failedFuture(e);
        }
    }
}
