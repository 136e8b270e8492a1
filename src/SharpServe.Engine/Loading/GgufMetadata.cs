using System.Diagnostics.CodeAnalysis;

namespace SharpServe.Engine.Loading;

/// <summary>
/// The key/value metadata of a GGUF file, in file order, with typed lookups. A key that is present
/// with another type than asked for is a format error (llama.cpp refuses it too), not "absent".
/// </summary>
public sealed class GgufMetadata
{
    private readonly Dictionary<string, GgufValue> _entries;

    internal GgufMetadata(string path, Dictionary<string, GgufValue> entries)
    {
        Path = path;
        _entries = entries;
    }

    /// <summary>The file the metadata came from (named in every error).</summary>
    public string Path { get; }

    public IReadOnlyDictionary<string, GgufValue> Entries => _entries;

    public bool Contains(string key) => _entries.ContainsKey(key);

    /// <summary>A required value of .NET type <typeparamref name="T"/> (uint, float, string, int[], string[], ...).</summary>
    public T Get<T>(string key) =>
        TryGet<T>(key, out var value) ? value : throw new ModelFormatException(Path, $"metadata key '{key}' is missing");

    /// <summary>False when the key is absent; throws when it holds another type than <typeparamref name="T"/>.</summary>
    public bool TryGet<T>(string key, [MaybeNullWhen(false)] out T value)
    {
        if (!_entries.TryGetValue(key, out var entry))
        {
            value = default;
            return false;
        }

        if (entry.Value is T typed)
        {
            value = typed;
            return true;
        }

        string expected = GgufValue.TypeName(typeof(T)) ?? typeof(T).Name;
        throw new ModelFormatException(Path, $"metadata key '{key}' is {entry.Describe()}, expected {expected}");
    }

    /// <summary>An integer of any GGUF integer type (writers disagree on u32 vs i32 for ids and counts).</summary>
    public long GetInteger(string key) =>
        TryGetInteger(key, out long value) ? value : throw new ModelFormatException(Path, $"metadata key '{key}' is missing");

    /// <summary>False when the key is absent; throws when it is not an integer or does not fit a long.</summary>
    public bool TryGetInteger(string key, out long value)
    {
        if (!_entries.TryGetValue(key, out var entry))
        {
            value = 0;
            return false;
        }

        value = entry.Value switch
        {
            byte v => v,
            sbyte v => v,
            ushort v => v,
            short v => v,
            uint v => v,
            int v => v,
            long v => v,
            ulong v when v <= long.MaxValue => (long)v,
            ulong v => throw new ModelFormatException(Path, $"metadata key '{key}' = {v} is out of range"),
            _ => throw new ModelFormatException(Path, $"metadata key '{key}' is {entry.Describe()}, expected an integer"),
        };
        return true;
    }
}
