namespace ReproDiff.Runtime;

/// <summary>
/// The process's peak resident memory over a stretch of work: on Linux, writing 5 to /proc/self/clear_refs resets
/// VmHWM (the high-water mark of the resident set) to the current resident size, and /proc/self/status reports it.
/// Elsewhere <see cref="ReadMb"/> gives null: .NET's PeakWorkingSet64 cannot be reset, so it would carry an earlier
/// model's peak into a later one.
/// </summary>
public static class PeakMemory
{
    static bool resettable;

    /// <summary>Starts a new measurement; false when the platform cannot.</summary>
    public static bool Reset()
    {
        try { File.WriteAllText("/proc/self/clear_refs", "5"); resettable = true; }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or NotSupportedException) { resettable = false; }
        return resettable;
    }

    /// <summary>Peak resident MiB since the last <see cref="Reset"/>, or null when it could not be reset.</summary>
    public static double? ReadMb()
    {
        if (!resettable) return null;
        foreach (var line in File.ReadLines("/proc/self/status"))
            if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
                return Math.Round(long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], System.Globalization.CultureInfo.InvariantCulture) / 1024.0, 1);
        return null;
    }
}
