namespace ReproDiff;

/// <summary>
/// A mistake in what the user asked for or supplied (a bad option, a missing file, a malformed line).
/// The CLI prints <see cref="Exception.Message"/> as one line and exits with code 2; it never shows a stack trace
/// for these. Messages name the file, line, column or option at fault.
/// </summary>
public class ReproDiffException : Exception
{
    public ReproDiffException(string message) : base(message) { }
    public ReproDiffException(string message, Exception inner) : base(message, inner) { }
}
