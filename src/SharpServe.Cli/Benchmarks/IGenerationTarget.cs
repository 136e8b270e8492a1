namespace SharpServe.Cli.Benchmarks;

/// <summary>
/// Something that generates greedily from token ids: SharpServe's engine or a peer such as llama.cpp.
/// The benchmark driver measures every target the same way, so only this seam differs between them.
/// </summary>
public interface IGenerationTarget
{
    /// <summary>
    /// Starts generating exactly <paramref name="maxTokens"/> tokens greedily after <paramref name="promptIds"/>,
    /// ignoring end-of-sequence. Each element is one streamed event and says how many new tokens it carries;
    /// the stream ends when the request is finished.
    /// </summary>
    IAsyncEnumerable<int> Generate(int[] promptIds, int maxTokens);
}
