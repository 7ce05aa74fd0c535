package org.thespian.testsupport;

import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.launcher.TestExecutionListener;
import org.junit.platform.launcher.TestIdentifier;

/**
 * Prints why a test did not run (a failed assumption, {@code @Disabled}), one line each on the console: Maven's
 * summary only counts skipped tests, and a test that quietly never runs proves nothing.
 */
public final class SkippedTestReasons implements TestExecutionListener {

    @Override
    public void executionSkipped(TestIdentifier test, String reason) {
        report(test, reason);
    }

    @Override
    public void executionFinished(TestIdentifier test, TestExecutionResult result) {
        if (result.getStatus() == TestExecutionResult.Status.ABORTED) {
            report(test, result.getThrowable().map(Throwable::getMessage).orElse("aborted"));
        }
    }

    private static void report(TestIdentifier test, String reason) {
        System.out.println("[SKIPPED] " + test.getLegacyReportingName() + ": " + reason);
    }
}
