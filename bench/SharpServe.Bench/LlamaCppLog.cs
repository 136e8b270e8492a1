using System.Collections.Concurrent;
using System.Text.RegularExpressions;
using LLama.Native;

namespace SharpServe.Bench;

/// <summary>
/// Keeps llama.cpp's long context-creation log off the terminal (errors still get through) and remembers
/// the settings llama.cpp resolved from its defaults (flash attention "auto", unified KV, the KV type,
/// n_batch capped by n_ctx), so the report states what actually ran rather than what was asked for.
/// </summary>
public static partial class LlamaCppLog
{
    private static readonly ConcurrentDictionary<string, string> Seen = new();

    /// <summary>Must run before the first LLamaSharp call loads the native library.</summary>
    public static void Install() => NativeLibraryConfig.All.WithLogCallback(OnMessage);

    /// <summary>The most recent value of each resolved setting (the latest context's).</summary>
    public static IReadOnlyDictionary<string, string> Resolved => new SortedDictionary<string, string>(Seen);

    private static void OnMessage(LLamaLogLevel level, string message)
    {
        if (level == LLamaLogLevel.Error)
        {
            Console.Error.Write(message);
        }

        if (ContextSetting().Match(message) is { Success: true } setting)
        {
            Seen[setting.Groups[1].Value] = setting.Groups[2].Value;
        }
        else if (KvCacheTypes().Match(message) is { Success: true } kv)
        {
            Seen["type_k"] = kv.Groups[1].Value;
            Seen["type_v"] = kv.Groups[2].Value;
        }
    }

    [GeneratedRegex(@"^llama_context: (flash_attn|kv_unified|n_ctx|n_ctx_seq|n_seq_max|n_batch|n_ubatch)\s*=\s*(\S+)")]
    private static partial Regex ContextSetting();

    [GeneratedRegex(@"^llama_kv_cache: size = .*K \((\w+)\).*V \((\w+)\)")]
    private static partial Regex KvCacheTypes();
}
