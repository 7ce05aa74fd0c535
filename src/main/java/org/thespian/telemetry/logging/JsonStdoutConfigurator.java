package org.thespian.telemetry.logging;

import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.Configurator;
import ch.qos.logback.core.spi.ContextAwareBase;
import java.util.Optional;
import org.thespian.server.InstanceId;

/**
 * Found by logback through META-INF/services: until {@link LoggingSetup#configure} runs, logging is already JSON on
 * stdout at INFO rather than logback's DEBUG console pattern.
 */
public final class JsonStdoutConfigurator extends ContextAwareBase implements Configurator {

    @Override
    public ExecutionStatus configure(LoggerContext context) {
        String serviceName = Optional.ofNullable(System.getenv("SERVICE_NAME"))
                .filter(name -> !name.isBlank())
                .orElse("thespian");
        LoggingSetup.configure(context, serviceName, InstanceId.of(System.getenv()), Optional.empty());
        // Otherwise logback goes on to look for logback.xml and, finding none, adds its DEBUG console.
        return ExecutionStatus.DO_NOT_INVOKE_NEXT_IF_ANY;
    }
}
