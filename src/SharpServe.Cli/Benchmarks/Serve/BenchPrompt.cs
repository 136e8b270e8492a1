namespace SharpServe.Cli.Benchmarks.Serve;

/// <summary>
/// One request of a serving benchmark: the prompt text, the prompt length the dataset aimed at (words,
/// which is only an estimate of tokens; the report uses the server's own count), and the tokens to ask for.
/// </summary>
public sealed record BenchPrompt(string Text, int ApproxInputTokens, int OutputTokens);
