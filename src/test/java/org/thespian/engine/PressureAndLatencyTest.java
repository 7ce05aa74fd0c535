package org.thespian.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.thespian.engine.EngineFixtures.failureOf;
import static org.thespian.engine.EngineFixtures.unseededExecution;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.thespian.config.Action;
import org.thespian.config.FailureCode;
import org.thespian.config.Function;
import org.thespian.config.Latency;
import org.thespian.config.Operation;

/** Drawn latencies, CPU burns and memory holds, acted out by the engine. */
class PressureAndLatencyTest {

    private final Scheduler scheduler = Scheduler.start(1);

    @AfterEach
    void stop() {
        scheduler.close();
    }

    @Test
    void theSameSeedDrawsTheSameLatencies() {
        Function f = function(new Action.Sleep("tail", new Latency.LogNormal(2, 20), Optional.empty(), Map.of()));
        assertEquals(draws(f, 42), draws(f, 42));
        assertNotEquals(draws(f, 42), draws(f, 43));
    }

    @Test
    void aCpuActionBurnsItsTimeOffTheCallingThread() {
        Engine engine = engine(EngineLimits.DEFAULT);
        Function burn = function(new Action.Cpu("hash", new Latency.Fixed(200), Map.of()));
        long start = System.nanoTime();
        CompletableFuture<Void> outcome = engine.perform(burn, unseededExecution());
        assertFalse(outcome.isDone(), "the burn ran on the caller");
        assertNull(outcome.join());
        assertTrue(System.nanoTime() - start >= TimeUnit.MILLISECONDS.toNanos(200), "burnt less than 200 ms");
    }

    @Test
    void memoryPastTheCapFailsAndHeldMemoryComesBackAfterHoldMs() throws Exception {
        Engine engine = engine(new EngineLimits(100, 10, 1, 10 * MemoryPressure.BYTES_PER_MEGABYTE));
        Function brief = function(new Action.Memory("cache fill", 6, OptionalLong.of(100), Map.of()));
        assertNull(engine.perform(brief, unseededExecution()).join());
        ActionFailure full = failureOf(engine.perform(brief, unseededExecution()));
        assertEquals(FailureCode.RESOURCE_EXHAUSTED, full.code());
        assertEquals("f > cache fill: holding 6 MB more would pass the memory cap: 6 of 10 MB held"
                + " by this process (THESPIAN_MEMORY_CAP_MB)", full.getMessage());
        Thread.sleep(300);
        assertNull(engine.perform(brief, unseededExecution()).join(), "the hold was not released after hold_ms");

        Function leak = function(new Action.Memory("leak", 3, OptionalLong.empty(), Map.of()));
        Thread.sleep(300);
        assertNull(engine.perform(leak, unseededExecution()).join());
        assertNull(engine.perform(leak, unseededExecution()).join());
        Thread.sleep(300);
        assertEquals(FailureCode.RESOURCE_EXHAUSTED, failureOf(engine.perform(brief, unseededExecution())).code(),
                "a leak (hold_ms forever) was released");
    }

    private List<Double> draws(Function function, long seed) {
        List<Double> drawn = new ArrayList<>();
        ActionScope recording = new ActionScope() {
            @Override
            public ActionScope begin(Step step) {
                return this;
            }

            @Override
            public <T> T enter(Supplier<T> work) {
                return work.get();
            }

            @Override
            public void succeeded() {
            }

            @Override
            public void failed(ActionFailure failure) {
            }

            @Override
            public void drew(double millis) {
                drawn.add(millis);
            }
        };
        Engine engine = new Engine(scheduler, unusedPeers(), () -> recording, EngineLimits.DEFAULT);
        Dice dice = Dice.of(OptionalLong.of(seed));
        for (int i = 0; i < 20; i++) {
            engine.perform(function, new Execution(dice.nextRequest(), OptionalLong.empty())).join();
        }
        return drawn;
    }

    private Engine engine(EngineLimits limits) {
        return new Engine(scheduler, unusedPeers(), ActionListener.NONE, limits);
    }

    private static PeerCaller unusedPeers() {
        return (call, execution) -> {
            throw new AssertionError("no call expected");
        };
    }

    private static Function function(Action action) {
        return new Function("f", List.of(new Operation.Single(action)));
    }
}
