namespace SharpServe.Cli.Eval;

/// <summary>Runs every case of a set against a server, up to <paramref name="concurrency"/> at a time; outputs come back in case order.</summary>
public sealed class RegressRunner(CompletionClient client, string model, int concurrency)
{
    public async Task<IReadOnlyList<CaseOutput>> RunAsync(IReadOnlyList<RegressCase> cases, CancellationToken cancellation)
    {
        ArgumentNullException.ThrowIfNull(cases);
        var outputs = new CaseOutput[cases.Count];
        var options = new ParallelOptions { MaxDegreeOfParallelism = concurrency, CancellationToken = cancellation };
        await Parallel.ForEachAsync(Enumerable.Range(0, cases.Count), options, async (index, token) =>
            outputs[index] = await client.CompleteAsync(model, cases[index], token));
        return outputs;
    }
}
