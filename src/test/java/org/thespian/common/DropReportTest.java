package org.thespian.common;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class DropReportTest {

    private static final long MINUTE = DropReport.INTERVAL.toNanos();

    @Test
    void theFirstDropIsReportedAtOnceAndLaterOnesAtMostOnceAMinuteWithTheirCount() {
        DropReport report = new DropReport();
        long start = 1_000;
        assertTrue(report.due(start).isEmpty(), "nothing dropped, nothing to say");

        report.add(3);
        DropReport.Due first = report.due(start).orElseThrow();
        assertEquals(3, first.total());
        assertEquals("start", first.since());

        report.add(5);
        assertTrue(report.due(start + MINUTE - 1).isEmpty(), "a minute has not passed");
        report.add(2);
        DropReport.Due second = report.due(start + MINUTE).orElseThrow();
        assertEquals(7, second.total());
        assertEquals("the last report", second.since());

        assertTrue(report.due(start + 3 * MINUTE).isEmpty(), "nothing dropped since the last report");
        report.add(1);
        assertEquals(1, report.due(start + 3 * MINUTE).orElseThrow().total(), "due at once after a quiet spell");
        assertEquals(11, report.total());
    }

    @Test
    void causesAreCountedApartAndReportedTogether() {
        DropReport report = new DropReport(2);
        report.add(0, 4);
        report.add(1, 6);
        DropReport.Due due = report.due(0).orElseThrow();
        assertEquals(4, due.count(0));
        assertEquals(6, due.count(1));
        assertEquals(10, due.total());

        report.add(1, 1);
        DropReport.Due next = report.due(MINUTE).orElseThrow();
        assertEquals(0, next.count(0));
        assertEquals(1, next.count(1));
    }

    @Test
    void threadsDroppingAndAskingAtOnceReportEveryDropExactlyOnce() throws Exception {
        DropReport report = new DropReport();
        AtomicLong clock = new AtomicLong();
        AtomicLong reported = new AtomicLong();
        ExecutorService threads = Executors.newFixedThreadPool(4);
        try {
            List<Future<?>> done = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                done.add(threads.submit(() -> {
                    for (int i = 0; i < 50_000; i++) {
                        report.add(1);
                        // Each thread's clock moves on by a minute now and then, so reports keep falling due.
                        report.due(i % 1_000 == 0 ? clock.addAndGet(MINUTE) : clock.get())
                                .ifPresent(due -> reported.addAndGet(due.total()));
                    }
                }));
            }
            for (Future<?> future : done) {
                future.get();
            }
        } finally {
            threads.shutdownNow();
        }
        Optional<DropReport.Due> rest = report.due(clock.get() + MINUTE);
        assertEquals(200_000, reported.get() + rest.map(DropReport.Due::total).orElse(0L));
        assertEquals(200_000, report.total());
    }
}
