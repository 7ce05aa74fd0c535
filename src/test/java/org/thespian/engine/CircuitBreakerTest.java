package org.thespian.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.thespian.config.CallPolicy;
import org.thespian.engine.CircuitBreaker.Outcome;
import org.thespian.engine.CircuitBreaker.Ticket;

/** The breaker's state machine, on a clock the test moves. */
class CircuitBreakerTest {

    private static final String PAY = "peer http://pay:6379 (thespian.Thespian/B)";

    private long now = 1_000_000_000L;
    private final List<String> changes = new ArrayList<>();

    @Test
    void opensOnceMinCallsFailedAtTheRate() {
        CircuitBreaker breaker = breaker(new CallPolicy.CircuitBreaker(0.5, 4, 10_000, 5_000, 1));
        call(breaker, Outcome.FAILED);
        call(breaker, Outcome.FAILED);
        call(breaker, Outcome.FAILED);
        assertEquals(CircuitState.CLOSED, breaker.state(), "3 calls are fewer than min_calls 4");
        call(breaker, Outcome.SUCCEEDED);
        assertEquals(CircuitState.CLOSED, breaker.state(), "a success does not open it");
        call(breaker, Outcome.FAILED);
        assertEquals(CircuitState.OPEN, breaker.state());
        assertEquals(List.of("closed -> open: 4 of 5 calls failed in the last 10000 ms (failure_rate 0.5, min_calls 4)"),
                changes);
        Ticket refused = breaker.admit();
        assertFalse(refused.admitted());
        assertEquals(CircuitState.OPEN, refused.state());
        assertEquals("circuit open for " + PAY + ": 4 of 5 calls failed in the last 10000 ms (failure_rate 0.5,"
                + " min_calls 4); calls fail at once for 5000 ms (open_ms), then a probe call goes through",
                refused.refusal());
    }

    @Test
    void staysClosedBelowTheRate() {
        CircuitBreaker breaker = breaker(new CallPolicy.CircuitBreaker(0.5, 4, 10_000, 5_000, 1));
        for (int i = 0; i < 100; i++) {
            call(breaker, i % 3 == 2 ? Outcome.FAILED : Outcome.SUCCEEDED); // a third fail
        }
        assertEquals(CircuitState.CLOSED, breaker.state());
        assertEquals(List.of(), changes);
    }

    @Test
    void forgetsOutcomesOlderThanTheWindow() {
        CircuitBreaker breaker = breaker(new CallPolicy.CircuitBreaker(0.5, 4, 1_000, 5_000, 1));
        call(breaker, Outcome.FAILED);
        call(breaker, Outcome.FAILED);
        call(breaker, Outcome.FAILED);
        advance(1_500);
        call(breaker, Outcome.FAILED);
        assertEquals(CircuitState.CLOSED, breaker.state(), "three of the failures left the window");
        call(breaker, Outcome.FAILED);
        call(breaker, Outcome.FAILED);
        call(breaker, Outcome.FAILED);
        assertEquals(CircuitState.OPEN, breaker.state());
    }

    @Test
    void abandonedCallsJudgeNothing() {
        CircuitBreaker breaker = breaker(new CallPolicy.CircuitBreaker(0.5, 2, 10_000, 5_000, 1));
        call(breaker, Outcome.ABANDONED);
        call(breaker, Outcome.ABANDONED);
        call(breaker, Outcome.FAILED);
        assertEquals(CircuitState.CLOSED, breaker.state(), "one counted call is fewer than min_calls 2");
    }

    @Test
    void aSucceedingProbeClosesItAfterOpenMs() {
        CircuitBreaker breaker = opened(new CallPolicy.CircuitBreaker(1, 2, 10_000, 5_000, 1));
        advance(4_999);
        assertFalse(breaker.admit().admitted());
        advance(1);
        Ticket probe = breaker.admit();
        assertTrue(probe.admitted());
        assertTrue(probe.probe());
        assertEquals(CircuitState.HALF_OPEN, probe.state());
        Ticket second = breaker.admit();
        assertFalse(second.admitted(), "half_open_calls is 1");
        assertEquals("circuit open for " + PAY + ": half-open, waiting for 1 probe call to answer", second.refusal());
        breaker.record(probe, Outcome.SUCCEEDED);
        assertEquals(CircuitState.CLOSED, breaker.state());
        assertEquals(List.of("closed -> open", "open -> half-open: open_ms 5000 passed: letting 1 probe call through",
                "half-open -> closed: 1 probe call succeeded"), withoutOpeningReason());
        call(breaker, Outcome.FAILED);
        assertEquals(CircuitState.CLOSED, breaker.state(), "closing starts a fresh window");
    }

    @Test
    void aFailingProbeOpensItAgain() {
        CircuitBreaker breaker = opened(new CallPolicy.CircuitBreaker(1, 2, 10_000, 5_000, 2));
        advance(5_000);
        Ticket first = breaker.admit();
        Ticket second = breaker.admit();
        assertTrue(first.admitted() && second.admitted(), "half_open_calls is 2");
        assertFalse(breaker.admit().admitted());
        breaker.record(first, Outcome.SUCCEEDED);
        assertEquals(CircuitState.HALF_OPEN, breaker.state(), "one success of two needed");
        breaker.record(second, Outcome.FAILED);
        assertEquals(CircuitState.OPEN, breaker.state());
        advance(4_999);
        assertEquals("circuit open for " + PAY + ": a probe call failed; calls fail at once for 5000 ms (open_ms),"
                + " then a probe call goes through", breaker.admit().refusal(), "open_ms counts from the re-opening");
        advance(1);
        assertTrue(breaker.admit().probe());
    }

    @Test
    void anAbandonedProbeLetsAnotherThrough() {
        CircuitBreaker breaker = opened(new CallPolicy.CircuitBreaker(1, 2, 10_000, 5_000, 1));
        advance(5_000);
        Ticket probe = breaker.admit();
        breaker.record(probe, Outcome.ABANDONED);
        Ticket next = breaker.admit();
        assertTrue(next.admitted() && next.probe());
        breaker.record(next, Outcome.SUCCEEDED);
        assertEquals(CircuitState.CLOSED, breaker.state());
    }

    @Test
    void outcomesOfCallsLetThroughBeforeAChangeAreIgnored() {
        CircuitBreaker breaker = breaker(new CallPolicy.CircuitBreaker(1, 2, 10_000, 5_000, 1));
        Ticket slow = breaker.admit();
        call(breaker, Outcome.FAILED);
        call(breaker, Outcome.FAILED);
        advance(5_000);
        Ticket probe = breaker.admit();
        breaker.record(slow, Outcome.SUCCEEDED); // let through while closed: says nothing about the probe
        assertEquals(CircuitState.HALF_OPEN, breaker.state());
        breaker.record(probe, Outcome.FAILED);
        assertEquals(CircuitState.OPEN, breaker.state());
    }

    private CircuitBreaker opened(CallPolicy.CircuitBreaker settings) {
        CircuitBreaker breaker = breaker(settings);
        for (int i = 0; i < settings.minCalls(); i++) {
            call(breaker, Outcome.FAILED);
        }
        assertEquals(CircuitState.OPEN, breaker.state());
        return breaker;
    }

    private CircuitBreaker breaker(CallPolicy.CircuitBreaker settings) {
        return new CircuitBreaker(settings, PAY, () -> now,
                (from, to, why) -> changes.add(from.label() + " -> " + to.label() + ": " + why));
    }

    private static void call(CircuitBreaker breaker, Outcome outcome) {
        Ticket ticket = breaker.admit();
        assertTrue(ticket.admitted(), ticket.refusal());
        breaker.record(ticket, outcome);
    }

    private void advance(long millis) {
        now += TimeUnit.MILLISECONDS.toNanos(millis);
    }

    private List<String> withoutOpeningReason() {
        return changes.stream().map(change -> change.startsWith("closed -> open") ? "closed -> open" : change).toList();
    }
}
