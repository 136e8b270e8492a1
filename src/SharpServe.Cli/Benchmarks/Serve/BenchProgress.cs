using Spectre.Console;

namespace SharpServe.Cli.Benchmarks.Serve;

/// <summary>
/// A live progress bar of completed requests on stderr (stdout stays the report), drawn by Spectre.Console;
/// without a terminal, or with --disable-progress, the run just happens.
/// </summary>
public static class BenchProgress
{
    public static async Task<T> RunAsync<T>(bool show, string label, int total, Func<Action, Task<T>> run)
    {
        ArgumentNullException.ThrowIfNull(run);
        if (!show || Console.IsErrorRedirected)
        {
            return await run(() => { }).ConfigureAwait(false);
        }

        IAnsiConsole console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });
        return await console.Progress()
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn())
            .StartAsync(async context =>
            {
                ProgressTask task = context.AddTask(Markup.Escape(label), maxValue: total);
                return await run(() => task.Increment(1)).ConfigureAwait(false);
            })
            .ConfigureAwait(false);
    }
}
