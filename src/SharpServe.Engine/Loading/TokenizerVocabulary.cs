using SharpServe.Engine.Tokenization;

namespace SharpServe.Engine.Loading;

/// <summary>Fits a checkpoint's tokenizer to its embedding table: one vocabulary entry per row.</summary>
internal static class TokenizerVocabulary
{
    /// <summary>
    /// Pads the vocabulary with padding rows up to <paramref name="vocabSize"/> (tokenizer files stop
    /// at the highest real token); more tokens than rows would index past the embedding, so that is refused.
    /// </summary>
    public static TokenizerSpec FitTo(TokenizerSpec tokenizer, int vocabSize, string path) =>
        tokenizer.Tokens.Count <= vocabSize
            ? tokenizer.WithPaddingTo(vocabSize)
            : throw new ModelFormatException(path, $"the tokenizer has {tokenizer.Tokens.Count} tokens but the model's vocabulary has only {vocabSize} rows");
}
