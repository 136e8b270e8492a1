using System.Runtime.CompilerServices;
using System.Threading.Channels;
using SharpServe.Engine.Scheduling;

namespace SharpServe.Server.Generation;

/// <summary>
/// One request submitted to the engine. Reading stops when the request finishes or the client goes away;
/// in the latter case the request is aborted so its KV blocks return to the pool at the next engine step.
/// </summary>
public sealed class EngineCall
{
    private readonly LlmEngine _engine;
    private readonly string _requestId;
    private readonly ChannelReader<RequestOutput> _outputs;

    private EngineCall(LlmEngine engine, string requestId, ChannelReader<RequestOutput> outputs)
    {
        _engine = engine;
        _requestId = requestId;
        _outputs = outputs;
    }

    /// <summary>Submits the request; refusals (too long, queue full, bad ids) throw here, before any response is written.</summary>
    public static EngineCall Start(LlmEngine engine, EngineRequest request)
    {
        ArgumentNullException.ThrowIfNull(engine);
        ArgumentNullException.ThrowIfNull(request);
        return new EngineCall(engine, request.Id, engine.Submit(request));
    }

    public async IAsyncEnumerable<RequestOutput> ReadAllAsync([EnumeratorCancellation] CancellationToken cancellation)
    {
        bool completed = false;
        try
        {
            await foreach (RequestOutput output in _outputs.ReadAllAsync(cancellation))
            {
                yield return output;
            }

            completed = true;
        }
        finally
        {
            if (!completed)
            {
                _engine.Abort(_requestId);
            }
        }
    }
}
