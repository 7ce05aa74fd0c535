package org.thespian.server;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * A fault plan that stays until cleared, set from the admin service ({@code SetFaults}) or the live view's
 * {@code /api/faults}: every request that enters from a client (it carries no {@code thespian-hops}) is acted out
 * as if its {@code thespian-fault} header held this plan after its own entries. The merged header travels on to
 * the peers as any header does, so each entry applies once, where it names the service. The servers of one process
 * (a cast) share one.
 */
public final class StandingFaults {

    /** The plan as written, and parsed once, so that a request pays no parsing for it. */
    private record Standing(String text, FaultPlan plan) {
    }

    private volatile Standing current;

    /** The plan as it was written, or empty when none stands. */
    public Optional<String> plan() {
        Standing standing = current;
        return standing == null ? Optional.empty() : Optional.of(standing.text());
    }

    /**
     * Replaces the standing plan, checked exactly as a {@code thespian-fault} header is; a blank plan clears it.
     *
     * @param origin who changed it, for the log line ({@code SetFaults}, {@code the live view})
     * @return the plan that stood before
     * @throws FaultPlan.InvalidFaultPlan naming the entry; the standing plan stays
     */
    public synchronized Optional<String> set(String text, String origin, RuntimeEvents events)
            throws FaultPlan.InvalidFaultPlan {
        Optional<String> previous = plan();
        String plan = text.strip();
        current = plan.isEmpty() ? null : new Standing(plan, FaultPlan.parse(plan));
        events.standingFaultsChanged(plan, origin);
        return previous;
    }

    /** Clears the standing plan; returns the one that stood. */
    public synchronized Optional<String> clear(String origin, RuntimeEvents events) {
        Optional<String> previous = plan();
        current = null;
        events.standingFaultsChanged("", origin);
        return previous;
    }

    boolean isEmpty() {
        return current == null;
    }

    /**
     * What a request from a client carries once the standing plan is added: its own header (null when it has none)
     * followed by the standing entries, as text to forward and as a plan; empty when no plan stands.
     *
     * @throws FaultPlan.InvalidFaultPlan when the request's own header does not parse, or both have too many entries
     */
    Optional<Merged> mergeInto(String ownHeader) throws FaultPlan.InvalidFaultPlan {
        Standing standing = current;
        if (standing == null) {
            return Optional.empty();
        }
        if (ownHeader == null) {
            return Optional.of(new Merged(standing.text(), standing.plan()));
        }
        FaultPlan own = FaultPlan.parse(ownHeader);
        if (own.entries().size() + standing.plan().entries().size() > FaultPlan.MAX_ENTRIES) {
            throw new FaultPlan.InvalidFaultPlan("thespian-fault: with the standing plan's "
                    + standing.plan().entries().size() + " entries, at most " + FaultPlan.MAX_ENTRIES
                    + " entries in all, got " + (own.entries().size() + standing.plan().entries().size()));
        }
        List<FaultPlan.Entry> entries = new ArrayList<>(own.entries());
        entries.addAll(standing.plan().entries());
        return Optional.of(new Merged(ownHeader + "," + standing.text(), new FaultPlan(entries)));
    }

    /** A request's header with the standing plan added: the text forwarded to peers, and the plan applied here. */
    record Merged(String header, FaultPlan plan) {
    }
}
