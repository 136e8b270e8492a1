using SharpServe.Engine.Tests.TestSupport;
using Microsoft.ML.Tokenizers;
using SharpServe.Engine.Tokenization;

namespace SharpServe.Engine.Tests.Tokenization;

/// <summary>The distill tokenizer built once from the shared Qwen tokenizer.json, plus the oracle, shared by the tokenizer tests.</summary>
public sealed class DistillTokenizerFixture
{
    public const int VocabSize = 151936;

    private readonly Lazy<Tokenizer> _oracle = new(OracleTokenizer.Create);

    public DistillTokenizerFixture()
    {
        Spec = DistillTokenizer.Build(RepoPaths.SharedTokenizerJson, VocabSize);
        Tokenizer = new Qwen2Tokenizer(Spec);
    }

    public TokenizerSpec Spec { get; }

    public Qwen2Tokenizer Tokenizer { get; }

    /// <summary>Microsoft.ML.Tokenizers' BPE over the shared vocab.json/merges.txt (see <see cref="OracleTokenizer"/>).</summary>
    public Tokenizer Oracle => _oracle.Value;
}

[CollectionDefinition(Name)]
public sealed class DistillTokenizerCollection : ICollectionFixture<DistillTokenizerFixture>
{
    public const string Name = "Distill tokenizer";
}
