package org.thespian.telemetry.logging;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class RepeatedWarningFilterTest {

    private static final long INTERVAL = 60_000_000_000L;

    private final AtomicLong clock = new AtomicLong(1);
    private final LoggerContext context = new LoggerContext();
    private final ListAppender<ILoggingEvent> lines = new ListAppender<>();

    @BeforeEach
    void logToAList() {
        context.addTurboFilter(new RepeatedWarningFilter(INTERVAL, clock::get));
        lines.setContext(context);
        lines.start();
        Logger root = context.getLogger(Logger.ROOT_LOGGER_NAME);
        root.setLevel(Level.INFO);
        root.addAppender(lines);
    }

    @Test
    void oneLinePerLoggerAndTemplatePerIntervalThenTheCountOfThoseHeldBack() {
        Logger netty = context.getLogger("io.netty.Http2");
        for (int i = 0; i < 1_000; i++) {
            netty.warn("stream {} reset by the client", i);
        }
        assertEquals(List.of("stream 0 reset by the client"), messages());

        clock.addAndGet(INTERVAL);
        netty.warn("stream {} reset by the client", 1_000);
        assertEquals("stream 1000 reset by the client (999 more suppressed)", messages().get(1));
        assertEquals(Level.WARN, lines.list.get(1).getLevel());
        assertEquals("io.netty.Http2", lines.list.get(1).getLoggerName());

        clock.addAndGet(INTERVAL);
        netty.warn("stream {} reset by the client", 1_001);
        assertEquals("stream 1001 reset by the client", messages().get(2));
    }

    @Test
    void keepsTheThrowableAndOtherTemplatesAndLoggersApart() {
        Logger grpc = context.getLogger("io.grpc.Server");
        RuntimeException failure = new RuntimeException("boom");
        grpc.error("Exception while executing runnable", failure);
        grpc.error("Exception while executing runnable", failure);
        grpc.warn("something else");
        context.getLogger("io.grpc.Other").error("Exception while executing runnable", failure);
        assertEquals(List.of("Exception while executing runnable", "something else",
                "Exception while executing runnable"), messages());

        clock.addAndGet(INTERVAL);
        grpc.error("Exception while executing runnable", failure);
        assertEquals("Exception while executing runnable (1 more suppressed)", messages().get(3));
        assertEquals("boom", lines.list.get(3).getThrowableProxy().getMessage());
    }

    @Test
    void infoLinesRequestLinesAndDisabledLevelsAreLeftAlone() {
        Logger main = context.getLogger("org.thespian.cli.Main");
        Logger requests = context.getLogger("thespian.request");
        for (int i = 0; i < 3; i++) {
            main.info("same info");
            requests.warn("{} answered INTERNAL", "thespian.Thespian/A");
        }
        context.getLogger("quiet").setLevel(Level.ERROR);
        context.getLogger("quiet").warn("not shown, not counted");
        assertEquals(6, messages().size());
        context.getLogger("quiet").setLevel(Level.WARN);
        context.getLogger("quiet").warn("not shown, not counted");
        assertEquals("not shown, not counted", messages().get(6));
    }

    @Test
    void everyLiveChangeLineComesThrough() {
        Logger runtime = context.getLogger("thespian.runtime");
        for (String status : List.of("NOT_SERVING", "SERVING", "NOT_SERVING")) {
            runtime.warn("health set to {}", status);
        }
        runtime.warn("new config from {} refused, the running one stays: {}", "SetConfig", "bad");
        runtime.warn("new config from {} refused, the running one stays: {}", "SetConfig", "worse");
        assertEquals(List.of("health set to NOT_SERVING", "health set to SERVING", "health set to NOT_SERVING",
                "new config from SetConfig refused, the running one stays: bad",
                "new config from SetConfig refused, the running one stays: worse"), messages());
    }

    @Test
    void memoryStaysBoundedWhenEveryMessageIsDifferentText() {
        Logger chatty = context.getLogger("chatty");
        for (int i = 0; i < RepeatedWarningFilter.MAX_KEYS * 3; i++) {
            chatty.warn("connection " + i + " closed");
        }
        // The first MAX_KEYS distinct texts each get their line; the rest share one window and so one line.
        assertEquals(RepeatedWarningFilter.MAX_KEYS + 1, messages().size());
        assertNull(lines.list.get(lines.list.size() - 1).getThrowableProxy());
    }

    private List<String> messages() {
        return lines.list.stream().map(ILoggingEvent::getFormattedMessage).toList();
    }
}
