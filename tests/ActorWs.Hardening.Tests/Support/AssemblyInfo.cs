// Memory, open sockets and live actors are measured per process: tests must not run side by side.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
