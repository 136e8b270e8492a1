namespace SharpServe.Engine.Tokenization;

/// <summary>
/// The 22 tokens DeepSeek-R1-Distill-Qwen adds after the Qwen2.5 vocabulary (ids 151643..151664) with
/// their tokenizer.json special flags, from shared/models/qwen2-tokenizer/DEEPSEEK_R1_DISTILL_NOTES.md.
/// Note the distill's own chat markers (User, Assistant, think) are not special: skip-special decoding keeps them.
/// </summary>
internal static class DistillAddedTokens
{
    public const int FirstId = 151643;
    public const int EndOfSentenceId = 151643;
    public const int BeginOfSentenceId = 151646;

    public static IReadOnlyList<(string Content, bool Special)> InIdOrder { get; } =
    [
        ("<｜end▁of▁sentence｜>", true),
        ("<｜User｜>", false),
        ("<｜Assistant｜>", false),
        ("<｜begin▁of▁sentence｜>", true),
        ("<|EOT|>", false),
        ("<think>", false),
        ("</think>", false),
        ("<|quad_start|>", true),
        ("<|quad_end|>", true),
        ("<|vision_start|>", true),
        ("<|vision_end|>", true),
        ("<|vision_pad|>", true),
        ("<|image_pad|>", true),
        ("<|video_pad|>", true),
        ("<tool_call>", false),
        ("</tool_call>", false),
        ("<|fim_prefix|>", false),
        ("<|fim_middle|>", false),
        ("<|fim_suffix|>", false),
        ("<|fim_pad|>", false),
        ("<|repo_name|>", false),
        ("<|file_sep|>", false),
    ];
}
