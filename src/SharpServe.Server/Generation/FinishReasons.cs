using SharpServe.Engine.Sampling;
using SharpServe.Engine.Scheduling;

namespace SharpServe.Server.Generation;

/// <summary>The API's finish_reason strings.</summary>
public static class FinishReasons
{
    /// <summary>"stop" or "length" on a choice's last output, null before it.</summary>
    public static string? Name(RequestOutput output)
    {
        ArgumentNullException.ThrowIfNull(output);
        return output.FinishReason is { } reason ? Name(reason) : null;
    }

    public static string Name(FinishReason reason) => reason.ToString().ToLowerInvariant();
}
