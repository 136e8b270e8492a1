namespace SharpServe.Engine.Tokenization;

/// <summary>Reads and writes Hugging Face <c>tokenizer.json</c> + <c>tokenizer_config.json</c> as a <see cref="TokenizerSpec"/>.</summary>
public static class HfTokenizerFiles
{
    /// <summary>Reads a model directory's tokenizer files; throws <see cref="Loading.ModelFormatException"/> naming the file on bad input.</summary>
    public static TokenizerSpec Read(string tokenizerJsonPath, string? tokenizerConfigPath) => throw new NotImplementedException("tokenizer files pending");

    /// <summary>Writes tokenizer.json and tokenizer_config.json into <paramref name="directory"/>.</summary>
    public static void Write(TokenizerSpec spec, string directory) => throw new NotImplementedException("tokenizer files pending");
}
