package org.thespian.engine;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Where Memory actions take real heap: every hold is allocated and written page by page, so the process's resident
 * memory really grows, and is accounted against a cap so that a config can never drive the server into an
 * OutOfMemoryError. Held memory stays reachable from here until released, so a hold that is never released (a
 * leak) keeps its memory even if the caller drops the release handle.
 */
public final class MemoryPressure {

    public static final long BYTES_PER_MEGABYTE = 1024 * 1024;

    /** Small enough to be allocated from a fragmented heap; large enough that a big hold is few objects. */
    private static final int CHUNK_BYTES = 256 * 1024;
    /** Writing one byte per page makes the operating system back the whole page. */
    private static final int PAGE_BYTES = 4096;

    private final long capBytes;
    private final AtomicLong heldBytes = new AtomicLong();
    /** Each hold's chunks, by identity: what keeps unreleased holds reachable. */
    private final Set<Object> holds = ConcurrentHashMap.newKeySet();

    public MemoryPressure(long capBytes) {
        if (capBytes < 0) {
            throw new IllegalArgumentException("the memory cap cannot be negative: " + capBytes + " bytes");
        }
        this.capBytes = capBytes;
    }

    public long capBytes() {
        return capBytes;
    }

    /** Bytes held now by holds not yet released. */
    public long heldBytes() {
        return heldBytes.get();
    }

    /**
     * Allocates and touches {@code megabytes} MiB of heap. The result releases it (running it again does nothing);
     * empty, with nothing held, when the hold would take more than the cap or the heap cannot supply it.
     */
    public Optional<Runnable> hold(int megabytes) {
        if (megabytes < 0) {
            throw new IllegalArgumentException("cannot hold a negative amount: " + megabytes + " MiB");
        }
        long bytes = megabytes * BYTES_PER_MEGABYTE;
        if (!reserve(bytes)) {
            return Optional.empty();
        }
        Object chunks;
        try {
            chunks = new Object[] {allocate(bytes)};
        } catch (OutOfMemoryError heapExhausted) {
            // The partial allocation is unreachable by now; only the accounting is left to undo.
            heldBytes.addAndGet(-bytes);
            return Optional.empty();
        }
        holds.add(chunks);
        AtomicBoolean released = new AtomicBoolean();
        return Optional.of(() -> {
            if (released.compareAndSet(false, true)) {
                holds.remove(chunks);
                heldBytes.addAndGet(-bytes);
            }
        });
    }

    private boolean reserve(long bytes) {
        long now;
        do {
            now = heldBytes.get();
            if (bytes > capBytes - now) {
                return false;
            }
        } while (!heldBytes.compareAndSet(now, now + bytes));
        return true;
    }

    private static List<byte[]> allocate(long bytes) {
        List<byte[]> chunks = new ArrayList<>();
        for (long left = bytes; left > 0; left -= CHUNK_BYTES) {
            byte[] chunk = new byte[(int) Math.min(CHUNK_BYTES, left)];
            for (int page = 0; page < chunk.length; page += PAGE_BYTES) {
                chunk[page] = 1;
            }
            chunks.add(chunk);
        }
        return chunks;
    }
}
