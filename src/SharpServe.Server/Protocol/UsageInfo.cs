namespace SharpServe.Server.Protocol;

/// <summary>OpenAI's usage object: the prompt counted once, the completion tokens of every choice summed.</summary>
public sealed record UsageInfo(int PromptTokens, int CompletionTokens)
{
    public int TotalTokens => PromptTokens + CompletionTokens;
}
