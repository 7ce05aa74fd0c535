package org.thespian.engine;

import java.util.Optional;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import org.thespian.config.Action.Cpu;
import org.thespian.config.FailureCode;

/**
 * A Cpu action: burns its drawn time on the CPU pool, never on the thread that started it, and carries on on
 * the continuation pool so burning threads only burn.
 */
final class CpuBurn {

    private CpuBurn() {
    }

    static CompletableFuture<Void> start(Cpu cpu, long key, ActionScope scope, Execution execution,
            Scheduler scheduler) {
        long nanos = Draw.nanos(cpu.latency(), key, execution, scope);
        Optional<CompletableFuture<Void>> burning = scheduler.burn(nanos, execution::isOver);
        if (burning.isEmpty()) {
            return CompletableFuture.failedFuture(ActionFailure.at(cpu, FailureCode.RESOURCE_EXHAUSTED,
                    "the CPU pool is full: " + scheduler.cpu().threads() + " threads burning and "
                            + Scheduler.MAX_WAITING_BURNS + " burns waiting (THESPIAN_CPU_THREADS)"));
        }
        return burning.get().handleAsync((ignored, error) -> {
            if (error == null) {
                return null;
            }
            throw Engine.unwrap(error) instanceof CancellationException ? execution.cancellationOf(cpu)
                    : Engine.failureOf(error, cpu);
        }, scheduler.continuations());
    }
}
