namespace SharpServe.Engine.Tests.Tokenization;

/// <summary>The added-token table of DEEPSEEK_R1_DISTILL_NOTES.md, typed in again as the tests' expectation.</summary>
internal static class DistillAddedTokensTable
{
    public static IReadOnlyList<(int Id, string Content, bool Special)> Rows { get; } =
    [
        (151643, "<｜end▁of▁sentence｜>", true),
        (151644, "<｜User｜>", false),
        (151645, "<｜Assistant｜>", false),
        (151646, "<｜begin▁of▁sentence｜>", true),
        (151647, "<|EOT|>", false),
        (151648, "<think>", false),
        (151649, "</think>", false),
        (151650, "<|quad_start|>", true),
        (151651, "<|quad_end|>", true),
        (151652, "<|vision_start|>", true),
        (151653, "<|vision_end|>", true),
        (151654, "<|vision_pad|>", true),
        (151655, "<|image_pad|>", true),
        (151656, "<|video_pad|>", true),
        (151657, "<tool_call>", false),
        (151658, "</tool_call>", false),
        (151659, "<|fim_prefix|>", false),
        (151660, "<|fim_middle|>", false),
        (151661, "<|fim_suffix|>", false),
        (151662, "<|fim_pad|>", false),
        (151663, "<|repo_name|>", false),
        (151664, "<|file_sep|>", false),
    ];
}
