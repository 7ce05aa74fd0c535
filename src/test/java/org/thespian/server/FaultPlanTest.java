package org.thespian.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;
import org.thespian.config.FailureCode;
import org.thespian.engine.Dice;

class FaultPlanTest {

    @Test
    void parsesTheReadmeExample() throws Exception {
        FaultPlan plan = FaultPlan.parse("payment:delay=300ms@50,payment:abort=UNAVAILABLE@10,*:delay=5ms");
        assertEquals(List.of(
                new FaultPlan.Entry("payment:delay=300ms@50", "payment", new FaultPlan.Delay(300), 50),
                new FaultPlan.Entry("payment:abort=UNAVAILABLE@10", "payment",
                        new FaultPlan.Abort(FailureCode.UNAVAILABLE), 10),
                new FaultPlan.Entry("*:delay=5ms", "*", new FaultPlan.Delay(5), 100)), plan.entries());
        assertTrue(plan.appliesTo(target("checkout")), "* names every service");
    }

    @Test
    void secondsAndFractionalPercentages() throws Exception {
        FaultPlan plan = FaultPlan.parse("db:delay=2s@0.5");
        assertEquals(new FaultPlan.Delay(2000), plan.entries().get(0).effect());
        assertEquals(0.5, plan.entries().get(0).percent());
        assertFalse(FaultPlan.parse("db:delay=2s").appliesTo(target("payment")));
    }

    @Test
    void aMalformedEntryIsNamedWithItsPositionAndWhatWasExpected() {
        assertProblem("payment:delay=300ms,payment:abort=UNAVAILBLE", "entry 2 \"payment:abort=UNAVAILBLE\"",
                "gRPC status code name");
        assertProblem("payment:delay=300", "entry 1 \"payment:delay=300\"", "duration such as 250ms");
        assertProblem("payment:delay=5ms@101", "entry 1", "from 0 to 100");
        assertProblem("payment:slow=5ms", "entry 1", "SERVICE:delay=DURATION[@PERCENT]");
        assertProblem("payment:delay=5ms,", "entry 2 \"\"", "SERVICE:abort=CODE");
        assertProblem("payment:abort=OK", "entry 1", "other than OK");
        assertProblem("x:delay=601s", "entry 1", "at most 600s");
        assertProblem("a:delay=1ms,".repeat(40), "at most 32 entries", "got 41");
    }

    @Test
    void eachNumberHasAFewDigitsAtMost() throws Exception {
        assertEquals(99.999999, FaultPlan.parse("a:delay=1ms@99.999999").entries().get(0).percent());
        assertProblem("a:delay=1ms@0.0000001", "entry 1", "at most 6 decimals", "got \"0.0000001\"");
        assertProblem("a:delay=1ms@0050", "entry 1", "from 0 to 100");
        assertProblem("a:delay=1ms@" + "1".repeat(200), "entry 1", "from 0 to 100", "(120 more characters)");
        assertProblem("a:delay=1000000000ms", "entry 1", "duration such as 250ms");
    }

    @Test
    void aPlanOf4KiBIsTakenAndALongerOneRefusedNamingTheFirstEntryThatDoesNotFit() throws Exception {
        String last = "s".repeat(56) + ":delay=1ms";
        String fits = String.join(",", Collections.nCopies(31, "s".repeat(119) + ":delay=1ms")) + "," + last;
        assertEquals(4096, fits.length());
        assertEquals(32, FaultPlan.parse(fits).entries().size());

        FaultPlan.InvalidFaultPlan refused = assertThrows(FaultPlan.InvalidFaultPlan.class,
                () -> FaultPlan.parse("s" + fits));
        assertEquals("thespian-fault entry 32 \"" + last + "\": the plan is 4,097 characters long, at most 4,096",
                refused.getMessage());
        refused = assertThrows(FaultPlan.InvalidFaultPlan.class, () -> FaultPlan.parse(fits + ",x:delay=1ms"));
        assertTrue(refused.getMessage().startsWith("thespian-fault entry 33 \"x:delay=1ms\""), refused.getMessage());
    }

    @Test
    void aSixtyThousandDigitPercentIsRefusedWithAShortMessage() {
        String plan = "payment:delay=5ms@0." + "0".repeat(60_000) + "1";
        for (ThrowingCheck check : new ThrowingCheck[] {FaultPlan::parse, FaultPlan::checkSize}) {
            FaultPlan.InvalidFaultPlan refused = assertThrows(FaultPlan.InvalidFaultPlan.class,
                    () -> check.run(plan));
            assertTrue(refused.getMessage().startsWith("thespian-fault entry 1 \"payment:delay=5ms@0.000"),
                    refused.getMessage());
            assertTrue(refused.getMessage().contains("(59,941 more characters)"), refused.getMessage());
            assertTrue(refused.getMessage().length() < 200, refused.getMessage());
        }
    }

    private interface ThrowingCheck {
        void run(String header) throws FaultPlan.InvalidFaultPlan;
    }

    private static void assertProblem(String header, String... parts) {
        FaultPlan.InvalidFaultPlan error = assertThrows(FaultPlan.InvalidFaultPlan.class, () -> FaultPlan.parse(header));
        for (String part : parts) {
            assertTrue(error.getMessage().contains(part), error.getMessage() + " should contain " + part);
        }
    }

    @Test
    void rollsAddUpDelaysAndTheFirstAbortWins() throws Exception {
        FaultPlan plan = FaultPlan.parse("a:delay=10ms,*:delay=5ms,b:delay=1s,a:abort=ABORTED,a:abort=INTERNAL");
        FaultPlan.Injection injection = plan.roll(target("a"), Dice.of(OptionalLong.empty()).nextRequest());
        assertEquals(15, injection.delayMillis());
        assertEquals(Optional.of(plan.entries().get(3)), injection.abort().map(FaultPlan.Aborting::entry));
        assertTrue(plan.roll(target("c"), Dice.of(OptionalLong.empty()).nextRequest()).abort().isEmpty());
    }

    @Test
    void percentagesComeUpAsOftenAsWrittenAndRepeatWithTheSeed() throws Exception {
        FaultPlan plan = FaultPlan.parse("a:abort=UNAVAILABLE@30,a:delay=1ms@0");
        int aborted = 0;
        StringBuilder first = new StringBuilder();
        StringBuilder second = new StringBuilder();
        Dice dice = Dice.of(OptionalLong.of(42));
        Dice again = Dice.of(OptionalLong.of(42));
        for (int i = 0; i < 10_000; i++) {
            FaultPlan.Injection injection = plan.roll(target("a"), dice.nextRequest());
            aborted += injection.abort().isPresent() ? 1 : 0;
            assertEquals(0, injection.delayMillis(), "@0 never comes up");
            first.append(injection.abort().isPresent() ? 'x' : '.');
            second.append(plan.roll(target("a"), again.nextRequest()).abort().isPresent() ? 'x' : '.');
        }
        assertTrue(aborted > 2_800 && aborted < 3_200, aborted + " aborts in 10,000 at 30%");
        assertEquals(first.toString(), second.toString());
    }

    @Test
    void anEntryNamingAnInstanceIdReachesThatReplicaAlone() throws Exception {
        FaultPlan plan = FaultPlan.parse("payment-2:abort=UNAVAILABLE,payment-3:delay=300ms");
        FaultPlan.Target second = new FaultPlan.Target("payment", "payment-2");
        assertTrue(plan.appliesTo(second));
        assertEquals(Optional.of(plan.entries().get(0)), plan.roll(second, Dice.of(OptionalLong.empty()).nextRequest())
                .abort().map(FaultPlan.Aborting::entry));
        FaultPlan.Target first = new FaultPlan.Target("payment", "payment-1");
        assertFalse(plan.appliesTo(first), "the other replicas of the service are not named");
        assertTrue(plan.roll(first, Dice.of(OptionalLong.empty()).nextRequest()).isNone());
        assertEquals(300, plan.roll(new FaultPlan.Target("payment", "payment-3"), Dice.of(OptionalLong.empty())
                .nextRequest()).delayMillis());
        assertTrue(FaultPlan.parse("payment:abort=UNAVAILABLE").appliesTo(first), "the service's name reaches each");
    }

    /** An instance of {@code service} whose instance id is a host name that no plan here uses. */
    private static FaultPlan.Target target(String service) {
        return new FaultPlan.Target(service, "host-7f9c");
    }
}
