package org.thespian.server;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.thespian.config.Excerpt;
import org.thespian.config.FailureCode;
import org.thespian.engine.Dice;

/**
 * The faults a request carries in its {@code thespian-fault} metadata: comma-separated entries
 * {@code SERVICE:delay=DURATION[@PERCENT]} or {@code SERVICE:abort=CODE[@PERCENT]}, SERVICE being a service
 * name, an instance id (one replica of a service) or {@code *}. Parsed whole before anything is applied, so a
 * typo is an error rather than no fault.
 */
public record FaultPlan(List<Entry> entries) {

    /**
     * A header is metadata a hostile caller controls, forwarded on every hop and quoted in messages and logs:
     * long plans cost parsing, forwarding and log volume everywhere they go.
     */
    static final int MAX_PLAN_CHARS = 4096;
    static final int MAX_ENTRIES = 32;
    static final long MAX_DELAY_MS = 600_000;
    /** How much of an entry (or of a value in it) a message quotes. */
    private static final int SHOWN_CHARS = 80;

    private static final Pattern ENTRY = Pattern.compile(
            "([^:\\s]+):(delay|abort)=([^@\\s]+)(?:@([^@\\s]+))?");
    private static final Pattern DURATION = Pattern.compile("([0-9]{1,9})(ms|s)");
    /** Nine digits at most, as for durations: 0 to 100 with up to six decimals. */
    private static final Pattern PERCENT = Pattern.compile("[0-9]{1,3}(?:\\.[0-9]{1,6})?");
    /** Mixed into the action keys of the request's dice, so fault rolls never reuse an action's roll. */
    private static final long ROLL_KEY = 0xFA_17_FA_17_FA_17L;

    public FaultPlan {
        entries = List.copyOf(entries);
    }

    /** One entry; {@code text} is how the caller wrote it, for messages and logs. */
    public record Entry(String text, String service, Effect effect, double percent) {
        boolean appliesTo(Target target) {
            return service.equals("*") || service.equals(target.serviceName()) || service.equals(target.instanceId());
        }
    }

    /** The names an entry may use to reach an instance: its service's, or its own instance id. */
    public record Target(String serviceName, String instanceId) {
    }

    /**
     * What an entry does when its roll comes up. Code that treats each kind differently goes through
     * {@link #accept}, so a new kind that some place forgets does not compile.
     */
    public sealed interface Effect permits Delay, Abort {
        <R> R accept(Visitor<R> visitor);

        /** One method per kind of effect: adding a kind adds a method every visitor must implement. */
        interface Visitor<R> {
            R delay(Delay delay);

            R abort(Abort abort);
        }
    }

    public record Delay(long millis) implements Effect {
        @Override
        public <R> R accept(Visitor<R> visitor) {
            return visitor.delay(this);
        }
    }

    public record Abort(FailureCode code) implements Effect {
        @Override
        public <R> R accept(Visitor<R> visitor) {
            return visitor.abort(this);
        }
    }

    /** An abort entry whose roll came up, and what it answers. */
    public record Aborting(Entry entry, Abort abort) {
    }

    /** A plan that cannot be parsed; the message names the entry. */
    public static final class InvalidFaultPlan extends Exception {
        InvalidFaultPlan(String message) {
            super(message, null, false, false);
        }
    }

    /** What this instance does for one request: the summed delays that came up, then maybe an abort. */
    public record Injection(long delayMillis, List<Entry> delays, Optional<Aborting> abort) {
        static final Injection NONE = new Injection(0, List.of(), Optional.empty());

        public boolean isNone() {
            return delays.isEmpty() && abort.isEmpty();
        }
    }

    public static FaultPlan parse(String header) throws InvalidFaultPlan {
        checkSize(header);
        String[] texts = header.split(",", -1);
        if (texts.length > MAX_ENTRIES) {
            throw new InvalidFaultPlan("thespian-fault: at most " + MAX_ENTRIES + " entries, got " + texts.length);
        }
        List<Entry> entries = new ArrayList<>(texts.length);
        for (int i = 0; i < texts.length; i++) {
            entries.add(entry(texts[i].strip(), i));
        }
        return new FaultPlan(entries);
    }

    /**
     * Refuses a plan longer than {@link #MAX_PLAN_CHARS}, naming the first entry that does not fit; an instance
     * that only forwards plans checks this much, so that none goes further.
     */
    static void checkSize(String header) throws InvalidFaultPlan {
        if (header.length() <= MAX_PLAN_CHARS) {
            return;
        }
        int start = header.lastIndexOf(',', MAX_PLAN_CHARS) + 1;
        int index = (int) header.chars().limit(start).filter(c -> c == ',').count();
        int end = header.indexOf(',', start);
        String entry = header.substring(start, end < 0 ? header.length() : end).strip();
        throw invalid(entry, index, String.format(Locale.ROOT, "the plan is %,d characters long, at most %,d",
                header.length(), MAX_PLAN_CHARS));
    }

    private static Entry entry(String text, int index) throws InvalidFaultPlan {
        Matcher matcher = ENTRY.matcher(text);
        if (!matcher.matches()) {
            throw invalid(text, index, "expected SERVICE:delay=DURATION[@PERCENT] or SERVICE:abort=CODE[@PERCENT],"
                    + " e.g. payment:delay=300ms@50 or *:abort=UNAVAILABLE");
        }
        Effect effect = matcher.group(2).equals("delay")
                ? delay(text, index, matcher.group(3))
                : abort(text, index, matcher.group(3));
        return new Entry(text, matcher.group(1), effect, percent(text, index, matcher.group(4)));
    }

    private static double percent(String text, int index, String percent) throws InvalidFaultPlan {
        if (percent == null) {
            return 100;
        }
        if (PERCENT.matcher(percent).matches() && Double.parseDouble(percent) <= 100) {
            return Double.parseDouble(percent);
        }
        throw invalid(text, index, "the percentage must be from 0 to 100 with at most 6 decimals, got \""
                + Excerpt.of(percent, SHOWN_CHARS) + "\"");
    }

    private static Delay delay(String text, int index, String duration) throws InvalidFaultPlan {
        Matcher matcher = DURATION.matcher(duration);
        if (matcher.matches()) {
            long amount = Long.parseLong(matcher.group(1));
            long millis = matcher.group(2).equals("s") ? amount * 1000 : amount;
            if (millis <= MAX_DELAY_MS) {
                return new Delay(millis);
            }
        }
        throw invalid(text, index, "expected a duration such as 250ms or 2s, at most " + MAX_DELAY_MS / 1000
                + "s, got \"" + Excerpt.of(duration, SHOWN_CHARS) + "\"");
    }

    private static Abort abort(String text, int index, String code) throws InvalidFaultPlan {
        try {
            return new Abort(FailureCode.valueOf(code));
        } catch (IllegalArgumentException e) {
            throw invalid(text, index, "expected a gRPC status code name other than OK ("
                    + String.join(", ", FailureCode.names()) + "), got \"" + Excerpt.of(code, SHOWN_CHARS) + "\"");
        }
    }

    private static InvalidFaultPlan invalid(String text, int index, String problem) {
        return new InvalidFaultPlan(String.format(Locale.ROOT, "thespian-fault entry %d \"%s\": %s", index + 1,
                Excerpt.of(text, SHOWN_CHARS), problem));
    }

    /** Whether any entry names {@code target} (or {@code *}); if none does, no dice are rolled. */
    public boolean appliesTo(Target target) {
        return entries.stream().anyMatch(entry -> entry.appliesTo(target));
    }

    /** Rolls each entry naming {@code target}: delays that come up add up; the first abort wins. */
    public Injection roll(Target target, Dice.Rolls rolls) {
        Rolled rolled = new Rolled();
        for (int i = 0; i < entries.size(); i++) {
            Entry entry = entries.get(i);
            if (entry.appliesTo(target) && rolls.roll(ROLL_KEY + i) * 100 < entry.percent()) {
                rolled.add(entry);
            }
        }
        return rolled.injection();
    }

    /** The entries whose rolls came up, so far. */
    private static final class Rolled {
        private long delayMillis;
        private final List<Entry> delays = new ArrayList<>();
        private Optional<Aborting> abort = Optional.empty();

        void add(Entry entry) {
            entry.effect().accept(new Effect.Visitor<Void>() {
                @Override
                public Void delay(Delay delay) {
                    delayMillis += delay.millis();
                    delays.add(entry);
                    return null;
                }

                @Override
                public Void abort(Abort first) {
                    if (abort.isEmpty()) {
                        abort = Optional.of(new Aborting(entry, first));
                    }
                    return null;
                }
            });
        }

        Injection injection() {
            return delays.isEmpty() && abort.isEmpty() ? Injection.NONE : new Injection(delayMillis, delays, abort);
        }
    }
}
