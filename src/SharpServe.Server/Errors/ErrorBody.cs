namespace SharpServe.Server.Errors;

/// <summary>OpenAI's error object: <c>{"error": {"message", "type", "param", "code"}}</c>; vLLM puts the status in code.</summary>
public sealed record ErrorBody(ErrorDetail Error);

public sealed record ErrorDetail(string Message, string Type, string? Param, int Code);
