package org.thespian.bench;

import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import org.thespian.config.ConfigParser;
import org.thespian.config.Function;
import org.thespian.config.Method;
import org.thespian.engine.Dice;
import org.thespian.engine.Engine;
import org.thespian.engine.EngineLimits;
import org.thespian.engine.Execution;
import org.thespian.engine.Scheduler;
import org.thespian.telemetry.Telemetry;

/**
 * The engine alone, with the tracing listener a server gives it and no gRPC around it: method A of a config
 * acted out back to back on one thread, in rounds, each printing its nanoseconds per request. It tells the
 * engine's own cost from the request path's, where one server row on two shared cores is too noisy to.
 * Method A must finish without waiting (0 ms sleeps, nested functions), or each request waits its sleeps out.
 */
final class EngineLoop {

    private EngineLoop() {
    }

    static void run(Bench.Options options) throws Exception {
        Function function = ConfigParser.parse(options.text("config", "")).function(Method.A)
                .orElseThrow(() -> new IllegalArgumentException("--config needs a method A"));
        int rounds = options.integer("rounds", 10);
        int requests = options.integer("requests", 2_000_000);
        Dice dice = Dice.of(OptionalLong.empty());
        try (Telemetry telemetry = Telemetry.start("engine-loop", Optional.empty(), false, Map.of());
                Scheduler scheduler = Scheduler.start()) {
            Engine engine = new Engine(scheduler, (call, execution) -> {
                throw new IllegalArgumentException("--config must not call peers");
            }, telemetry.instrumentation().actionListener(), EngineLimits.DEFAULT);
            for (int round = 1; round <= rounds; round++) {
                long started = System.nanoTime();
                for (int i = 0; i < requests; i++) {
                    engine.perform(function, new Execution(dice.nextRequest(), OptionalLong.empty())).join();
                }
                System.out.printf("RESULT round=%d ns_per_request=%.1f%n", round,
                        (System.nanoTime() - started) / (double) requests);
            }
        }
    }
}
