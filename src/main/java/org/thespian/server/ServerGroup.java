package org.thespian.server;

import java.time.Duration;

/**
 * What a process serves on, started and stopped as one: a single {@link ThespianServer}, or a cast's members
 * (each a server like the single one, on resources they share).
 */
public interface ServerGroup {

    /** The standing fault plan, shared by every server of the group. */
    StandingFaults standingFaults();

    /** Calls of thespian.Thespian running now, in every server of the group. */
    int inFlight();

    /** Health says NOT_SERVING while calls are still taken, so that traffic moves away before the drain. */
    void reportNotServing();

    /** Refuses new calls, lets those in flight finish within {@code grace}, then closes what is shared. */
    void stop(Duration grace) throws InterruptedException;
}
