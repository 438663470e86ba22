using ReproDiff.Notebooks;

namespace ReproDiff.Notebooks
{
    /// <summary>HTML content, as the kernel's <c>HTML(string)</c> returns it; displayed as text/html.</summary>
    public sealed class HtmlContent(string html)
    {
        public string Html { get; } = html;
        public override string ToString() => Html;
    }

    /// <summary>What <c>display(x)</c> returns, as in dotnet-interactive: <c>Update(x)</c> replaces the shown value.</summary>
    public sealed class DisplayedValue
    {
        readonly int index;
        internal DisplayedValue(int index) => this.index = index;
        public void Update(object? value) => OutputSink.Current?.Replace(index, value);
    }

    /// <summary>
    /// Globals of every cell under the headless runner: the kernel's <c>display</c> and <c>HTML</c>. These shims live
    /// here, never in the product library, because in VS Code the kernel supplies its own and they would collide.
    /// </summary>
    public class ScriptGlobals
    {
        public DisplayedValue display(object? value, params string[] mimeTypes) => OutputSink.Display(value, mimeTypes);
        public HtmlContent HTML(string html) => new(html);
    }
}

namespace System
{
    /// <summary><c>x.Display()</c>, as <c>System.DisplayExtensions</c> in dotnet-interactive (runner only).</summary>
    public static class DisplayExtensions
    {
        public static DisplayedValue Display(this object? value, params string[] mimeTypes) => OutputSink.Display(value, mimeTypes);
    }
}
