using System.Collections.Concurrent;

namespace SharpServe.Cli.Tests.Fleet;

/// <summary>
/// K client loops, each sending one streamed chat completion after another through the gateway until stopped,
/// tallying how every request ended. Dispose stops the loops (without waiting) when a test fails before <see cref="StopAsync"/>.
/// </summary>
public sealed class StreamLoad : IDisposable
{
    private readonly ConcurrentQueue<string> _otherDetails = new();
    private readonly Task[] _loops;
    private readonly CancellationTokenSource _stop = new();
    private int _sent;
    private int _succeeded;
    private int _errorEvents;
    private int _others;
    private int _hung;

    /// <param name="maxTokens">Per request: long enough that streams are in flight when an instance dies.</param>
    /// <param name="requestTimeout">A request still open after this counts as hung.</param>
    public StreamLoad(FleetClient client, int loops, int maxTokens, TimeSpan requestTimeout)
    {
        ArgumentNullException.ThrowIfNull(client);
        _loops = Enumerable.Range(0, loops).Select(_ => Task.Run(async () =>
        {
            while (!_stop.IsCancellationRequested)
            {
                Interlocked.Increment(ref _sent);
                var (outcome, detail) = await client.StreamChatAsync(maxTokens, requestTimeout);
                Count(outcome);
                if (detail is not null)
                {
                    _otherDetails.Enqueue(detail);
                }
            }
        })).ToArray();
    }

    public int Completed => Volatile.Read(ref _succeeded) + Volatile.Read(ref _errorEvents) + Volatile.Read(ref _others) + Volatile.Read(ref _hung);

    /// <summary>Lets every loop finish its current request (each bounded by the request timeout), then tallies.</summary>
    public async Task<LoadCounts> StopAsync(TimeSpan timeout)
    {
        await _stop.CancelAsync();
        await Task.WhenAll(_loops).WaitAsync(timeout);
        return new LoadCounts(_sent, _succeeded, _errorEvents, _others, _hung, [.. _otherDetails.Take(5)]);
    }

    public void Dispose()
    {
        _stop.Cancel();
        _stop.Dispose();
    }

    private void Count(StreamOutcome outcome)
    {
        switch (outcome)
        {
            case StreamOutcome.Succeeded: Interlocked.Increment(ref _succeeded); break;
            case StreamOutcome.ErrorEvent: Interlocked.Increment(ref _errorEvents); break;
            case StreamOutcome.Other: Interlocked.Increment(ref _others); break;
            default: Interlocked.Increment(ref _hung); break;
        }
    }
}

/// <param name="OtherDetails">Up to five reasons of the requests counted in <paramref name="FailedOther"/>.</param>
public sealed record LoadCounts(int Sent, int Succeeded, int FailedWithErrorEvent, int FailedOther, int Hung, IReadOnlyList<string> OtherDetails)
{
    public string Describe(long retried) =>
        $"sent {Sent}, succeeded {Succeeded}, retried {retried}, failed with error event {FailedWithErrorEvent}, failed other {FailedOther}, hung {Hung}"
        + (OtherDetails.Count > 0 ? $"; other failures: {string.Join(" | ", OtherDetails)}" : "");
}
