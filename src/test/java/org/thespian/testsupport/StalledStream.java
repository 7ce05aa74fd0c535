package org.thespian.testsupport;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CountDownLatch;

/** stdout as a pipe whose reader has stalled: every write waits until {@link #release()}, then lands in {@link #text()}. */
public final class StalledStream extends OutputStream {

    private final CountDownLatch released = new CountDownLatch(1);
    private final CountDownLatch waiting = new CountDownLatch(1);
    private final ByteArrayOutputStream written = new ByteArrayOutputStream();

    @Override
    public void write(int b) {
        write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public void write(byte[] bytes, int offset, int length) {
        waiting.countDown();
        try {
            released.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        synchronized (written) {
            written.write(bytes, offset, length);
        }
    }

    /** Waits until a writer is stuck in a write. */
    public void awaitStuckWriter() throws InterruptedException {
        waiting.await();
    }

    /** The reader is back: waiting writes go through, and later ones do not wait. */
    public void release() {
        released.countDown();
    }

    /** What has been written so far. */
    public String text() {
        synchronized (written) {
            return written.toString(StandardCharsets.UTF_8);
        }
    }
}
