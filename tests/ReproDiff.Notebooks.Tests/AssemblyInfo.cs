// The in-process runner changes the working directory, Console.Out and libtorch's generator: one test at a time.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
