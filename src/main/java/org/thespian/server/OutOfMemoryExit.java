package org.thespian.server;

import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.TurboFilterList;
import ch.qos.logback.classic.turbo.TurboFilter;
import ch.qos.logback.core.spi.FilterReply;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import org.slf4j.LoggerFactory;
import org.slf4j.Marker;

/**
 * A JVM that ran out of heap is not worth keeping: its threads die one by one (gRPC's event loops among them)
 * and it stops answering, SIGTERM included. {@code -XX:+ExitOnOutOfMemoryError} is the sure cure, but a jar
 * cannot set JVM flags for {@code java -jar}; so this catches an OutOfMemoryError wherever it surfaces (an
 * uncaught throw, or a log line of gRPC, Netty or ours that carries one) and ends the process at once with
 * one line on stderr and exit code 3, the code the JVM flag uses.
 */
public final class OutOfMemoryExit {

    static final int EXIT_CODE = 3;
    /** Opened in advance: with the heap gone, building a PrintStream could itself fail. */
    private static final FileOutputStream STDERR = new FileOutputStream(FileDescriptor.err);
    private static final byte[] FALLBACK_LINE =
            "thespian: out of memory, exiting\n".getBytes(StandardCharsets.UTF_8);
    private static final AtomicBoolean INSTALLED = new AtomicBoolean();

    private OutOfMemoryExit() {
    }

    /**
     * Watches uncaught throws, logback and java.util.logging for an OutOfMemoryError, for the whole JVM: once,
     * however many servers it runs or times it is asked.
     */
    public static void install() {
        if (!INSTALLED.compareAndSet(false, true)) {
            return;
        }
        Thread.UncaughtExceptionHandler previous = Thread.getDefaultUncaughtExceptionHandler();
        Thread.setDefaultUncaughtExceptionHandler((thread, error) -> {
            exitIfOutOfMemory(error);
            if (previous != null) {
                previous.uncaughtException(thread, error);
            } else {
                thread.getThreadGroup().uncaughtException(thread, error);
            }
        });
        if (LoggerFactory.getILoggerFactory() instanceof LoggerContext logback) {
            watch(logback, OutOfMemoryExit::exit);
        }
        java.util.logging.Logger.getLogger("").addHandler(new JulOutOfMemory());
    }

    /**
     * Makes {@code logback}'s only turbo filter one that calls {@code exit} for a line carrying an OutOfMemoryError,
     * then asks the filters that were there. Logback asks every turbo filter on every level check too (Netty's
     * HTTP/2 frame logger checks once per frame), and with two or more in its list each ask copies the list. First
     * in line, since the repeated-warning filter may hold back the very line that says OOM.
     */
    static void watch(LoggerContext logback, Consumer<String> exit) {
        TurboFilterList filters = logback.getTurboFilterList();
        LoggedOutOfMemory filter = new LoggedOutOfMemory(exit, filters.toArray(new TurboFilter[0]));
        filter.setContext(logback);
        filter.start();
        filters.clear();
        filters.add(filter);
    }

    /** Ends the process if {@code error}, or anything that caused it, is an OutOfMemoryError. */
    public static void exitIfOutOfMemory(Throwable error) {
        exitIfOutOfMemory(error, OutOfMemoryExit::exit);
    }

    private static void exitIfOutOfMemory(Throwable error, Consumer<String> exit) {
        for (Throwable cause = error; cause != null; cause = cause.getCause()) {
            if (cause instanceof OutOfMemoryError) {
                exit.accept("out of memory (" + cause.getMessage() + ")");
            }
            if (cause.getCause() == cause) {
                return;
            }
        }
    }

    static void exit(String why) {
        try {
            STDERR.write(("thespian: " + why + "; exiting at once, so that a supervisor can start a fresh one."
                    + " Lower THESPIAN_MAX_IN_FLIGHT or give the JVM more heap (-Xmx)\n")
                    .getBytes(StandardCharsets.UTF_8));
        } catch (IOException | OutOfMemoryError e) {
            try {
                STDERR.write(FALLBACK_LINE);
            } catch (IOException ignored) {
                // nowhere left to say it
            }
        }
        Runtime.getRuntime().halt(EXIT_CODE);
    }

    private static final class LoggedOutOfMemory extends TurboFilter {
        private final Consumer<String> exit;
        private final TurboFilter[] then;

        LoggedOutOfMemory(Consumer<String> exit, TurboFilter[] then) {
            this.exit = exit;
            this.then = then;
        }

        @Override
        public FilterReply decide(Marker marker, ch.qos.logback.classic.Logger logger,
                ch.qos.logback.classic.Level level, String format, Object[] params, Throwable thrown) {
            exitIfOutOfMemory(thrown, exit);
            if (params != null && params.length > 0 && params[params.length - 1] instanceof Throwable last) {
                exitIfOutOfMemory(last, exit);
            }
            for (TurboFilter next : then) {
                FilterReply reply = next.decide(marker, logger, level, format, params, thrown);
                if (reply != FilterReply.NEUTRAL) {
                    return reply;
                }
            }
            return FilterReply.NEUTRAL;
        }
    }

    private static final class JulOutOfMemory extends Handler {
        @Override
        public void publish(LogRecord record) {
            exitIfOutOfMemory(record.getThrown());
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
        }
    }
}
