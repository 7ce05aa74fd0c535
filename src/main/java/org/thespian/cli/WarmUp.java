package org.thespian.cli;

import java.io.IOException;
import java.util.List;
import java.util.function.Function;
import org.slf4j.LoggerFactory;
import org.thespian.server.Rehearsal;
import org.thespian.server.ServerLimits;
import org.thespian.telemetry.RehearsalTelemetry;
import org.thespian.telemetry.Telemetry;

/** THESPIAN_WARMUP: the servers of this process rehearse before their ports open (see {@link Rehearsal}). */
final class WarmUp {

    private WarmUp() {
    }

    /**
     * With {@code on}, rehearses the parts made with the rehearsal's instrumentation; a rehearsal that cannot run is
     * one warning, and serving starts anyway, only colder. Returns what happened, for the startup line.
     */
    static String rehearse(boolean on, Telemetry telemetry, ServerLimits shared,
            Function<RehearsalTelemetry, List<Rehearsal.Part>> parts) {
        if (!on) {
            return "warm-up off (THESPIAN_WARMUP)";
        }
        try (RehearsalTelemetry rehearsal = telemetry.rehearsal()) {
            return Rehearsal.run(parts.apply(rehearsal), shared).describe();
        } catch (IOException e) {
            LoggerFactory.getLogger(WarmUp.class).warn("No warm-up (THESPIAN_WARMUP): loopback cannot be bound: {}",
                    Main.rootMessage(e));
            return "no warm-up";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "warm-up interrupted";
        }
    }
}
