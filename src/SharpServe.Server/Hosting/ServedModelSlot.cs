using SharpServe.Server.Errors;
using SharpServe.Server.Metrics;

namespace SharpServe.Server.Hosting;

/// <summary>
/// Where the server finds its model. The server listens before the model is loaded (so /health can say
/// "loading" instead of refusing connections), so the slot starts empty and is filled once, when it is ready.
/// The metrics exist from the start: the HTTP middleware records into them before any model does.
/// </summary>
public sealed class ServedModelSlot(ServerMetrics metrics)
{
    private ServedModel? _served;

    public ServerMetrics Metrics { get; } = metrics ?? throw new ArgumentNullException(nameof(metrics));

    /// <summary>The model once it is ready; null while it is loading.</summary>
    public ServedModel? Ready => Volatile.Read(ref _served);

    /// <summary>The model, or a 503 (with Retry-After) for requests that arrive while it is loading.</summary>
    public ServedModel Current => Ready ?? throw ApiException.ServiceUnavailable("the model is still loading; retry shortly");

    /// <exception cref="InvalidOperationException">The slot was filled already.</exception>
    public void Fill(ServedModel served)
    {
        ArgumentNullException.ThrowIfNull(served);
        if (Interlocked.CompareExchange(ref _served, served, null) is not null)
        {
            throw new InvalidOperationException("the served model was set already");
        }
    }
}
