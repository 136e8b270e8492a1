namespace SharpServe.Engine.Creation;

public enum ModelFileFormat
{
    /// <summary>A Hugging Face model directory (config.json, safetensors, tokenizer files).</summary>
    Hf,

    /// <summary>A single llama.cpp GGUF file.</summary>
    Gguf,
}
