using System.CommandLine;
using ReproDiff;
using ReproDiff.Cli;
using Spectre.Console;

// reprodiff: one verb per job. User mistakes are one line on stderr and exit code 2; see Cli.Run.
return Cli.Run(args);

namespace ReproDiff.Cli
{
    public static class Cli
    {
        public const int UserError = 2;

        /// <summary>Global option: where datasets live (else REPRODIFF_DATA, ../shared/data, data/cache).</summary>
        public static readonly Option<string?> DataOption = new("--data")
        {
            Description = "Data root holding one folder per dataset (default: $REPRODIFF_DATA, ../shared/data, data/cache).",
            Recursive = true,
        };

        public static RootCommand Build()
        {
            var root = new RootCommand("ReproDiff: diffusion recommenders, their papers' tables, and the notebooks that teach them.");
            root.Add(DataOption);
            root.Add(DoctorCommand.Build());
            root.Add(DataCommand.Build());
            root.Add(NotebooksCommand.Build());
            root.Add(ReproduceCommand.Build());
            root.Add(CompareCommand.Build());
            root.Add(VerifyCommand.Build());
            root.Add(BenchCommand.Build());
            return root;
        }

        public static int Run(string[] args)
        {
            Runtime.TorchRuntime.RetainFreedMemory(); // faster training steps (environment/README.md); REPRODIFF_ALLOCATOR=default or MALLOC_* opt out
            var parse = Build().Parse(args);
            if (parse.Errors.Count > 0)
            {
                // An unknown verb or option is the most useful thing to name; System.CommandLine lists it after "command required".
                var error = parse.Errors.FirstOrDefault(e => e.Message.StartsWith("Unrecognized", StringComparison.Ordinal)) ?? parse.Errors[0];
                var oneLine = System.Text.RegularExpressions.Regex.Replace(error.Message, @"\s*\n\s*", " ");
                Console.Error.WriteLine($"reprodiff: {oneLine} (see `reprodiff --help`)");
                return UserError;
            }
            try
            {
                return parse.Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
            }
            catch (ReproDiffException e)
            {
                Console.Error.WriteLine($"reprodiff: {e.Message}");
                return UserError;
            }
            catch (OperationCanceledException)
            {
                Console.Error.WriteLine("reprodiff: cancelled.");
                return 130;
            }
            catch (Exception e) when (Environment.GetEnvironmentVariable("REPRODIFF_DEBUG") != "1")
            {
                Console.Error.WriteLine($"reprodiff: internal error: {e.GetType().Name}: {e.Message} (set REPRODIFF_DEBUG=1 for the stack trace)");
                return 1;
            }
        }

        /// <summary>
        /// Says at once what a stop request (Ctrl+C, SIGTERM) does in a long run: training checks it between epochs and
        /// the runner between seeds, so the current epoch or test finishes first (minutes for the diffusion models).
        /// </summary>
        internal static void AnnounceStop(CancellationToken cancel) => cancel.Register(() => Console.Error.WriteLine(
            "reprodiff: stop requested: stopping after the current epoch or test; finished seeds are saved and --resume continues from the last checkpoint (SIGKILL stops at once)."));

        internal static IAnsiConsole Out { get; } = CreateOut();

        static IAnsiConsole CreateOut()
        {
            var console = AnsiConsole.Create(new AnsiConsoleSettings
            {
                Out = new AnsiConsoleOutput(Console.Out),
                Ansi = Console.IsOutputRedirected ? AnsiSupport.No : AnsiSupport.Detect,
                ColorSystem = Console.IsOutputRedirected ? ColorSystemSupport.NoColors : ColorSystemSupport.Detect,
            });
            // In logs and CI there is no terminal width: Spectre would assume 80 columns and wrap every table cell.
            if (Console.IsOutputRedirected) console.Profile.Width = 1000;
            return console;
        }
    }
}
