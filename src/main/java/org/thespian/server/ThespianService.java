package org.thespian.server;

import io.grpc.Context;
import io.grpc.Deadline;
import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.TimeUnit;
import org.thespian.config.Config;
import org.thespian.config.Function;
import org.thespian.config.Method;
import org.thespian.engine.ActionFailure;
import org.thespian.engine.Dice;
import org.thespian.engine.Engine;
import org.thespian.engine.Execution;
import org.thespian.proto.Nothing;
import org.thespian.proto.ThespianGrpc;

/** {@code thespian.Thespian}: each method acts out its configured function and answers OK or the
 * failure's code (INTERNAL unless the config chose another). */
final class ThespianService extends ThespianGrpc.ThespianImplBase {

    private static final Nothing NOTHING = Nothing.getDefaultInstance();

    private final Config config;
    private final Engine engine;
    private final Dice dice;

    ThespianService(Config config, Engine engine, Dice dice) {
        this.config = config;
        this.engine = engine;
        this.dice = dice;
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
        Optional<Function> function = config.function(method);
        if (function.isEmpty()) {
            responses.onNext(NOTHING);
            responses.onCompleted();
            return;
        }
        Execution execution = new Execution(dice.nextRequest(), deadlineNanos(Context.current().getDeadline()));
        ((ServerCallStreamObserver<Nothing>) responses).setOnCancelHandler(execution::cancel);
        engine.perform(function.get(), execution).whenComplete((ignored, error) -> {
            if (execution.isCancelled()) {
                return;
            }
            if (error == null) {
                responses.onNext(NOTHING);
                responses.onCompleted();
            } else {
                ActionFailure failure = Engine.failureOf(error, function.get());
                Status status = Status.fromCode(Status.Code.valueOf(failure.code().name()));
                responses.onError(status.withDescription(failure.getMessage())
                        .asRuntimeException(PeerFailures.answeredByThespian()));
            }
        });
    }

    private static OptionalLong deadlineNanos(Deadline deadline) {
        return deadline == null
                ? OptionalLong.empty()
                : OptionalLong.of(System.nanoTime() + deadline.timeRemaining(TimeUnit.NANOSECONDS));
    }
}
