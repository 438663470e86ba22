namespace ReproDiff.Cli; static class NotebooksCommand { public static System.CommandLine.Command Build() => new("notebooks", "Run the notebooks headlessly."); }
