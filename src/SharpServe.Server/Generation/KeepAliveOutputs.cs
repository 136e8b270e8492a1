using System.Runtime.CompilerServices;
using Microsoft.AspNetCore.Http;

namespace SharpServe.Server.Generation;

/// <summary>
/// Passes a stream's outputs through, writing an SSE comment whenever none has come for the interval (a long
/// prefill, a full queue), so proxies with idle timeouts do not cut the stream. Writes stay on the one
/// reading loop, so a comment never interleaves with an event.
/// </summary>
public static class KeepAliveOutputs
{
    public static async IAsyncEnumerable<T> ReadAsync<T>(IAsyncEnumerable<T> outputs, HttpResponse response, TimeSpan interval, [EnumeratorCancellation] CancellationToken cancellation)
    {
        ArgumentNullException.ThrowIfNull(outputs);
        await using var reader = outputs.GetAsyncEnumerator(cancellation);
        while (true)
        {
            Task<bool> next = reader.MoveNextAsync().AsTask();
            while (!next.IsCompleted)
            {
                await ((Task)next).WaitAsync(interval, cancellation).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                cancellation.ThrowIfCancellationRequested();
                if (!next.IsCompleted)
                {
                    await ServerSentEvents.WriteKeepAliveAsync(response, cancellation);
                }
            }

            if (!await next)
            {
                yield break;
            }

            yield return reader.Current;
        }
    }
}
