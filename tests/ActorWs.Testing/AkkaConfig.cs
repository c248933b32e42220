namespace ActorWs.Testing;

/// <summary>Akka configuration the suites' actor systems share, as HOCON to combine with "\n".</summary>
public static class AkkaConfig
{
    /// <summary>A message a test waits for gets 10 s instead of Akka's 3 s before the test fails. A
    /// wait ends as soon as its message comes, so a passing test is no slower; on a machine running
    /// two test suites at once, 3 s for a first message (JIT, thread pool growth) was not enough.</summary>
    public const string Patient = "akka.test.single-expect-default = 10s";

    /// <summary><see cref="Patient"/>, and Akka's timers fire only when a test advances the
    /// <c>TestScheduler</c>; sockets, and the waits of the tests on them, stay real.</summary>
    public const string VirtualTime = Patient + "\nakka.scheduler.implementation = \"Akka.TestKit.TestScheduler, Akka.TestKit\"";

    /// <summary>Akka's own log at ERROR only, to the plain logger, and no dead-letter log: suites that
    /// fail connections by the thousand on purpose would otherwise flood their output.</summary>
    public const string Quiet = """
        akka.loggers = ["Akka.Event.DefaultLogger, Akka"]
        akka.loglevel = ERROR
        akka.stdout-loglevel = ERROR
        akka.log-dead-letters = off
        akka.log-dead-letters-during-shutdown = off
        """;
}
