// libtorch's generator, the working directory and Console.Out are process-global: tests in this assembly share them,
// so they run one at a time (dotnet-stack.md §9.3). CLI tests run the CLI in a child process.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
