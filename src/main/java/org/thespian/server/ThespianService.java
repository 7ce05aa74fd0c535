package org.thespian.server;

import io.grpc.Context;
import io.grpc.Deadline;
import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import org.thespian.config.Function;
import org.thespian.config.Method;
import org.thespian.engine.ActionFailure;
import org.thespian.engine.Dice;
import org.thespian.engine.Engine;
import org.thespian.engine.Execution;
import org.thespian.proto.Nothing;
import org.thespian.proto.ThespianGrpc;

/**
 * {@code thespian.Thespian}: each method acts out its function in the config that is running when the call
 * arrives, after the faults the call's plan injects here, and answers OK or the failure's code (INTERNAL
 * unless the config or an injected abort chose another).
 */
final class ThespianService extends ThespianGrpc.ThespianImplBase {

    private static final Nothing NOTHING = Nothing.getDefaultInstance();

    private final LiveConfig config;
    private final Engine engine;
    private final Dice dice;
    private final FaultPlan.Target target;
    private final FaultInjector faults;
    private final RuntimeEvents events;

    /** @param target the names fault plan entries may use to reach this instance */
    ThespianService(LiveConfig config, Engine engine, Dice dice, FaultPlan.Target target, FaultInjector faults,
            RuntimeEvents events) {
        this.config = config;
        this.engine = engine;
        this.dice = dice;
        this.target = target;
        this.faults = faults;
        this.events = events;
    }

    @Override
    public void a(Nothing request, StreamObserver<Nothing> responses) {
        act(Method.A, responses);
    }

    @Override
    public void b(Nothing request, StreamObserver<Nothing> responses) {
        act(Method.B, responses);
    }

    @Override
    public void c(Nothing request, StreamObserver<Nothing> responses) {
        act(Method.C, responses);
    }

    private void act(Method method, StreamObserver<Nothing> responses) {
        LiveConfig.Revision revision = config.current();
        events.requestOnRevision(revision.number());
        Optional<Function> function = revision.config().function(method);
        RequestMetadata metadata = RequestMetadata.ofCallHere();
        Optional<FaultPlan> plan = metadata == null ? Optional.empty()
                : metadata.plan().filter(p -> p.appliesTo(target));
        if (function.isEmpty() && plan.isEmpty()) {
            answerOk(responses);
            return;
        }
        Context request = Context.current();
        // From here on the request's metadata travels with its execution, never in a thread's context.
        Execution execution = new Execution(dice.nextRequest(), deadlineNanos(request.getDeadline()),
                metadata == null ? RequestMetadata.fromClient() : metadata);
        ((ServerCallStreamObserver<Nothing>) responses).setOnCancelHandler(
                () -> execution.cancel(Cancellations.why(request)));
        FaultPlan.Injection injection = plan.isEmpty()
                ? FaultPlan.Injection.NONE
                : plan.get().roll(target, execution::roll);
        CompletableFuture<Void> outcome = injection.isNone()
                ? perform(function, execution)
                : faults.inject(injection, execution, () -> perform(function, execution));
        if (Engine.succeededAlready(outcome)) {
            answer(responses, execution, function, null); // it finished at once: no callback to chain
        } else {
            outcome.whenComplete((ignored, error) -> answer(responses, execution, function, error));
        }
    }

    private static void answer(StreamObserver<Nothing> responses, Execution execution, Optional<Function> function,
            Throwable error) {
        if (execution.isCancelled()) {
            return;
        }
        if (error == null) {
            answerOk(responses);
        } else {
            responses.onError(status(error, function).asRuntimeException(PeerFailures.answeredByThespian()));
        }
    }

    private CompletableFuture<Void> perform(Optional<Function> function, Execution execution) {
        return function.isEmpty()
                ? CompletableFuture.completedFuture(null)
                : engine.perform(function.get(), execution);
    }

    private static Status status(Throwable error, Optional<Function> function) {
        Throwable cause = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
        if (cause instanceof FaultInjector.InjectedAbort abort) {
            return abort.status();
        }
        if (function.isEmpty()) {
            return Status.INTERNAL.withDescription(FaultInjector.DELAY_NAME + ": " + cause.getMessage());
        }
        ActionFailure failure = Engine.failureOf(cause, function.get());
        return StatusCodes.statusOf(failure.code()).withDescription(StatusText.capped(failure.getMessage()));
    }

    private static void answerOk(StreamObserver<Nothing> responses) {
        responses.onNext(NOTHING);
        responses.onCompleted();
    }

    private static OptionalLong deadlineNanos(Deadline deadline) {
        return deadline == null
                ? OptionalLong.empty()
                : OptionalLong.of(System.nanoTime() + deadline.timeRemaining(TimeUnit.NANOSECONDS));
    }
}
