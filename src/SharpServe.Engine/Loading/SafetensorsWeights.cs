using System.Text.Json;

namespace SharpServe.Engine.Loading;

/// <summary>
/// The weights of a Hugging Face model directory: <c>model.safetensors</c>, or the shards that
/// <c>model.safetensors.index.json</c> lists in its <c>weight_map</c>. Disposing unmaps every file.
/// </summary>
public sealed class SafetensorsWeights : IDisposable
{
    public const string SingleFileName = "model.safetensors";
    public const string IndexFileName = "model.safetensors.index.json";

    private SafetensorsWeights(IReadOnlyList<SafetensorsFile> files, IReadOnlyDictionary<string, WeightTensor> tensors)
    {
        Files = files;
        Tensors = tensors;
    }

    public IReadOnlyList<SafetensorsFile> Files { get; }
    public IReadOnlyDictionary<string, WeightTensor> Tensors { get; }

    /// <summary>Opens the single file if there is one (as transformers prefers), else the index and its shards.</summary>
    public static SafetensorsWeights Open(string directory)
    {
        string single = Path.Combine(directory, SingleFileName);
        string index = Path.Combine(directory, IndexFileName);
        if (File.Exists(single))
        {
            var file = SafetensorsReader.Open(single);
            return new SafetensorsWeights([file], file.Tensors);
        }

        return File.Exists(index)
            ? OpenSharded(directory, index)
            : throw new ModelFormatException(directory, $"no weights: neither {SingleFileName} nor {IndexFileName} is in the directory");
    }

    public void Dispose()
    {
        foreach (var file in Files)
        {
            file.Dispose();
        }
    }

    private static SafetensorsWeights OpenSharded(string directory, string indexPath)
    {
        var weightMap = ReadWeightMap(indexPath);
        var files = new List<SafetensorsFile>();
        try
        {
            var shards = new Dictionary<string, SafetensorsFile>(StringComparer.Ordinal);
            var tensors = new Dictionary<string, WeightTensor>(StringComparer.Ordinal);
            foreach (var (name, shardName) in weightMap)
            {
                string shardPath = Path.Combine(directory, shardName);
                if (!shards.TryGetValue(shardName, out var shard))
                {
                    shard = File.Exists(shardPath)
                        ? SafetensorsReader.Open(shardPath)
                        : throw new ModelFormatException(shardPath, $"missing: {IndexFileName} lists it for tensor {name}");
                    files.Add(shard);
                    shards.Add(shardName, shard);
                    foreach (var (tensorName, tensor) in shard.Tensors)
                    {
                        if (!tensors.TryAdd(tensorName, tensor))
                        {
                            throw new ModelFormatException(shardPath, $"tensor {tensorName} is also in another shard");
                        }
                    }
                }

                if (!shard.Tensors.ContainsKey(name))
                {
                    throw new ModelFormatException(shardPath, $"{IndexFileName} places tensor {name} in this shard, but it is not there");
                }
            }

            return new SafetensorsWeights(files, tensors);
        }
        catch
        {
            files.ForEach(f => f.Dispose());
            throw;
        }
    }

    private static List<KeyValuePair<string, string>> ReadWeightMap(string indexPath)
    {
        using var index = ModelFiles.ReadJsonObject(indexPath);
        if (!index.RootElement.TryGetProperty("weight_map", out var map) || map.ValueKind != JsonValueKind.Object)
        {
            throw new ModelFormatException(indexPath, "'weight_map' is missing or not an object");
        }

        var entries = new List<KeyValuePair<string, string>>();
        foreach (var property in map.EnumerateObject())
        {
            // Shards are plain file names next to the index; anything else could point outside the model.
            string? shard = property.Value.ValueKind == JsonValueKind.String ? property.Value.GetString() : null;
            if (string.IsNullOrEmpty(shard) || Path.GetFileName(shard) != shard || shard is "." or ".." || shard.Contains('\\', StringComparison.Ordinal))
            {
                throw new ModelFormatException(indexPath, $"weight_map entry for {property.Name} is not a file name in the model directory: {property.Value.GetRawText()}");
            }

            entries.Add(new(property.Name, shard));
        }

        return entries;
    }
}
