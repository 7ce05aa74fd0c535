package org.thespian.server;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.thespian.engine.ActionScope;

class RequestContextListenerTest {

    /**
     * ActionScope's callbacks have defaults that do nothing, so a wrapper that misses one compiles and silently
     * hides it from telemetry (as drew() was: spans lost thespian.latency_ms).
     */
    @Test
    void theRequestScopeForwardsEveryCallbackOfActionScope() throws Exception {
        Class<?> scope = Class.forName(RequestContextListener.class.getName() + "$Scope");
        List<String> missing = Arrays.stream(ActionScope.class.getMethods())
                .filter(method -> !Modifier.isStatic(method.getModifiers()))
                .filter(method -> !declares(scope, method))
                .map(Method::getName)
                .toList();
        assertEquals(List.of(), missing, "RequestContextListener.Scope does not forward these");
    }

    private static boolean declares(Class<?> type, Method method) {
        try {
            type.getDeclaredMethod(method.getName(), method.getParameterTypes());
            return true;
        } catch (NoSuchMethodException e) {
            return false;
        }
    }
}
