package org.thespian.server;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.turbo.TurboFilter;
import ch.qos.logback.core.read.ListAppender;
import ch.qos.logback.core.spi.FilterReply;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.slf4j.Marker;

class OutOfMemoryExitTest {

    private final LoggerContext context = new LoggerContext();
    private final List<String> exits = new ArrayList<>();
    private final ListAppender<ILoggingEvent> lines = new ListAppender<>();
    private final Logger logger = context.getLogger("some.library");

    OutOfMemoryExitTest() {
        lines.setContext(context);
        lines.start();
        context.getLogger(Logger.ROOT_LOGGER_NAME).addAppender(lines);
        context.addTurboFilter(new DenyingFilter());
        OutOfMemoryExit.watch(context, exits::add);
    }

    @Test
    void aLineCarryingAnOutOfMemoryErrorExitsEvenWhenALaterFilterWouldHoldItBack() {
        logger.error("held back", new IllegalStateException("wrapped", new OutOfMemoryError("Java heap space")));
        logger.warn("as a parameter {}", "x", new OutOfMemoryError("Direct buffer memory"));

        assertEquals(List.of("out of memory (Java heap space)", "out of memory (Direct buffer memory)"), exits);
    }

    @Test
    void theFiltersThatWereThereStillDecide() {
        logger.error("held back");
        logger.error("let through");

        assertEquals(List.of("let through"), lines.list.stream().map(ILoggingEvent::getMessage).toList());
        assertEquals(List.of(), exits);
        assertEquals(1, context.getTurboFilterList().size(), "one turbo filter, so a level check copies no list");
    }

    /** Stands in for the repeated-warning filter: denies one message template. */
    private static final class DenyingFilter extends TurboFilter {
        @Override
        public FilterReply decide(Marker marker, Logger logger, Level level, String format, Object[] params,
                Throwable thrown) {
            return "held back".equals(format) ? FilterReply.DENY : FilterReply.NEUTRAL;
        }
    }
}
