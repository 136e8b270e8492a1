namespace SharpServe.Cli.Tests;

/// <summary>The tiny random model as a GGUF file, created by <c>sharpserve create-model</c> once per folder.</summary>
public static class TinyModelFile
{
    public static string In(string folder)
    {
        string path = Path.Combine(folder, "tiny.gguf");
        if (!File.Exists(path))
        {
            CliRunner.CreateTinyModel(path, "gguf");
        }

        return path;
    }
}
