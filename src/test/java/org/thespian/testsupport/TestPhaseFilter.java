package org.thespian.testsupport;

import java.util.Optional;
import org.junit.platform.engine.FilterResult;
import org.junit.platform.engine.TestDescriptor;
import org.junit.platform.engine.TestSource;
import org.junit.platform.engine.support.descriptor.ClassSource;
import org.junit.platform.engine.support.descriptor.MethodSource;
import org.junit.platform.launcher.PostDiscoveryFilter;

/**
 * Keeps each Maven phase to its own kind of test when {@code -Dtest=} names tests of both kinds: surefire
 * ({@code thespian.test.phase=test}) runs only {@code *Test} classes, failsafe ({@code =integration-test})
 * only {@code *IT} classes, which start the shaded jar built in between. Without the property (an IDE) every
 * test runs.
 */
public final class TestPhaseFilter implements PostDiscoveryFilter {

    @Override
    public FilterResult apply(TestDescriptor descriptor) {
        String phase = System.getProperty("thespian.test.phase", "");
        Optional<String> testClass = descriptor.getSource().flatMap(TestPhaseFilter::topLevelClass);
        if (phase.isEmpty() || testClass.isEmpty()) {
            return FilterResult.included("no phase given, or not part of a test class");
        }
        boolean processLevel = testClass.get().endsWith("IT");
        return FilterResult.includedIf(phase.equals("integration-test") == processLevel, () -> "runs in " + phase,
                () -> testClass.get() + " runs in " + (processLevel ? "integration-test" : "test") + ", not in " + phase);
    }

    /** JUnit filters only the leaves of the test tree: test methods, or classes without any. */
    private static Optional<String> topLevelClass(TestSource source) {
        String name;
        if (source instanceof MethodSource method) {
            name = method.getClassName();
        } else if (source instanceof ClassSource type) {
            name = type.getClassName();
        } else {
            return Optional.empty();
        }
        int nested = name.indexOf('$');
        return Optional.of(nested < 0 ? name : name.substring(0, nested));
    }
}
