package org.thespian.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.thespian.engine.MemoryPressure.BYTES_PER_MEGABYTE;

import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** The members of one process draw on its caps together, each within its own where it sets a lower one. */
class ProcessBudgetTest {

    private static final EngineLimits PROCESS = new EngineLimits(100, 2, 1, 20 * BYTES_PER_MEGABYTE);

    @Test
    void membersTogetherStayWithinTheProcesssMemoryCapAndTheRefusalSaysWhatIsHeld() throws Exception {
        ProcessBudget budget = new ProcessBudget(PROCESS, HeapGauge.UNWATCHED);
        List<MemoryPressure> members = IntStream.range(0, 4).mapToObj(i -> share(budget, PROCESS).memory).toList();

        members.get(0).hold(8);
        members.get(1).hold(8);
        MemoryPressure.Refused third = assertThrows(MemoryPressure.Refused.class, () -> members.get(2).hold(8));

        assertEquals("holding 8 MB more would pass the memory cap: 16 of 20 MB held by this process's 4 members,"
                + " 0 of them by this one (THESPIAN_MEMORY_CAP_MB)", third.getMessage());
        assertEquals(16 * BYTES_PER_MEGABYTE, budget.heldBytes());
        assertEquals(0, members.get(2).heldBytes(), "a refused hold takes nothing");
        MemoryPressure.Refused again = assertThrows(MemoryPressure.Refused.class, () -> members.get(0).hold(8));
        assertTrue(again.getMessage().endsWith("16 of 20 MB held by this process's 4 members, 8 of them by this one"
                + " (THESPIAN_MEMORY_CAP_MB)"), again.getMessage());
    }

    @Test
    void aMembersOwnLowerCapBindsItWithinTheProcesss() throws Exception {
        ProcessBudget budget = new ProcessBudget(PROCESS, HeapGauge.UNWATCHED);
        MemoryPressure small = share(budget, memoryCap(4 * BYTES_PER_MEGABYTE)).memory;
        MemoryPressure other = share(budget, PROCESS).memory;
        other.hold(6);

        small.hold(3);
        MemoryPressure.Refused refused = assertThrows(MemoryPressure.Refused.class, () -> small.hold(3));

        assertEquals("holding 3 MB more would pass this member's memory cap: 3 of 4 MB held by it (its own"
                + " THESPIAN_MEMORY_CAP_MB), 9 of 20 MB by this process's 2 members", refused.getMessage());
        assertEquals(9 * BYTES_PER_MEGABYTE, budget.heldBytes(), "the refused hold gave back what it had taken");
        assertEquals(20 * BYTES_PER_MEGABYTE, share(budget, memoryCap(Long.MAX_VALUE)).memory.capBytes(),
                "an own cap above the process's is the process's");
    }

    @Test
    void nothingIsHeldWhileTheHeapIsNearlyFull() {
        ProcessBudget budget = new ProcessBudget(PROCESS,
                () -> Optional.of("90% of 64 MB in use after the last garbage collection, the limit is 85%"));
        MemoryPressure member = share(budget, PROCESS).memory;

        MemoryPressure.Refused refused = assertThrows(MemoryPressure.Refused.class, () -> member.hold(1));

        assertEquals("the heap is too full to hold 1 MB more: 90% of 64 MB in use after the last garbage collection,"
                + " the limit is 85%; 0 of 20 MB held by this process (THESPIAN_MEMORY_CAP_MB)", refused.getMessage());
        assertEquals(0, budget.heldBytes());
    }

    @Test
    void membersTogetherStayWithinTheProcesssFireAndForgetCapAndEachCountsItsOwnDrops() {
        ProcessBudget budget = new ProcessBudget(PROCESS, HeapGauge.UNWATCHED);
        AtomicInteger reported = new AtomicInteger();
        List<BackgroundCalls> members = IntStream.range(0, 3)
                .mapToObj(i -> share(budget, PROCESS, reported::incrementAndGet).background).toList();

        assertTrue(members.get(0).tryStart());
        assertTrue(members.get(1).tryStart());
        assertFalse(members.get(2).tryStart(), "two in flight in the process: the third member's call is dropped");
        assertFalse(members.get(0).tryStart());

        assertEquals(List.of(1L, 0L, 1L), members.stream().map(BackgroundCalls::dropped).toList());
        assertEquals(2, reported.get(), "each drop is reported once");
        members.get(1).finished();
        assertTrue(members.get(2).tryStart(), "a finished call frees its place for any member");
    }

    @Test
    void aMembersOwnLowerFireAndForgetCapBindsItWithinTheProcesss() {
        ProcessBudget budget = new ProcessBudget(PROCESS, HeapGauge.UNWATCHED);
        BackgroundCalls one = share(budget, PROCESS.withMaxBackgroundCalls(1), () -> { }).background;
        BackgroundCalls other = share(budget, PROCESS, () -> { }).background;

        assertTrue(one.tryStart());
        assertFalse(one.tryStart(), "its own cap is 1");
        assertTrue(other.tryStart(), "the refused call gave back its place in the process");
    }

    private static EngineLimits memoryCap(long bytes) {
        return new EngineLimits(100, 2, 1, bytes);
    }

    private static ProcessBudget.Share share(ProcessBudget budget, EngineLimits own) {
        return share(budget, own, () -> { });
    }

    private static ProcessBudget.Share share(ProcessBudget budget, EngineLimits own, Runnable onDrop) {
        return budget.share(own, onDrop);
    }
}
