namespace ReproDiff.Runtime;

/// <summary>
/// An <see cref="IProgress{T}"/> that calls back on the reporting thread, in order. <see cref="Progress{T}"/> posts to
/// the thread pool when there is no synchronization context (scripts, notebooks, the CLI), so late or reordered
/// updates could arrive after a cell has finished; this one never does.
/// </summary>
public sealed class SyncProgress<T>(Action<T> report) : IProgress<T>
{
    public void Report(T value) => report(value);
}
