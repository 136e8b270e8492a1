namespace SharpServe.Engine.Scheduling;

/// <summary>The engine already holds as many waiting requests as it accepts (HTTP 429 territory): retry later.</summary>
public sealed class EngineQueueFullException(string message) : Exception(message);

/// <summary>The request can never fit: its prompt plus max_tokens exceed the model length or the whole KV cache (HTTP 400).</summary>
public sealed class RequestTooLongException(string message) : Exception(message);
