namespace SharpServe.Server.Generation;

/// <summary>The --reasoning-parser names this server knows; an unknown one must stop startup, not be ignored.</summary>
public static class ReasoningParsers
{
    public const string DeepSeekR1 = "deepseek_r1";

    /// <summary>Whether chat replies are split into reasoning and content.</summary>
    /// <exception cref="ArgumentException">An unknown parser name.</exception>
    public static bool SplitsReasoning(string? name) => name switch
    {
        null => false,
        DeepSeekR1 => true,
        _ => throw new ArgumentException($"--reasoning-parser '{name}' is not known; the supported parser is {DeepSeekR1}"),
    };
}
