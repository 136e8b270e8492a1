using System.Text;
using SharpServe.Engine.Scheduling;
using SharpServe.Engine.Tokenization;
using SharpServe.Server.Protocol;

namespace SharpServe.Server.Generation;

/// <summary>Engine logprobs in the API's two shapes, tokens shown as their text (special tokens included).</summary>
public sealed class LogprobsFormatter(Qwen2Tokenizer tokenizer)
{
    /// <param name="textOffset">Characters of the choice's text before these tokens (text_offset counts from there).</param>
    public CompletionLogprobs Completion(IReadOnlyList<GeneratedLogprob> logprobs, int textOffset)
    {
        ArgumentNullException.ThrowIfNull(logprobs);
        var tokens = logprobs.Select(item => TokenText(item.TokenId)).ToList();
        var offsets = new List<int>(tokens.Count);
        foreach (string token in tokens)
        {
            offsets.Add(textOffset);
            textOffset += token.Length;
        }

        return new CompletionLogprobs(
            tokens,
            [.. logprobs.Select(item => item.Logprob)],
            [.. logprobs.Select(TopAsDictionary)],
            offsets);
    }

    public ChatLogprobs Chat(IReadOnlyList<GeneratedLogprob> logprobs)
    {
        ArgumentNullException.ThrowIfNull(logprobs);
        return new ChatLogprobs([.. logprobs.Select(item =>
        {
            string token = TokenText(item.TokenId);
            return new ChatTokenLogprob(token, item.Logprob, Bytes(token), [.. item.Top.Select(top =>
            {
                string text = TokenText(top.TokenId);
                return new ChatTopLogprob(text, top.Logprob, Bytes(text));
            })]);
        })]);
    }

    /// <summary>Two ids can decode to the same text (e.g. partial UTF-8); the first, more likely one is kept.</summary>
    private IReadOnlyDictionary<string, float> TopAsDictionary(GeneratedLogprob item)
    {
        var top = new Dictionary<string, float>();
        foreach (var alternative in item.Top)
        {
            top.TryAdd(TokenText(alternative.TokenId), alternative.Logprob);
        }

        return top;
    }

    private string TokenText(int id) => tokenizer.Decode([id], skipSpecialTokens: false);

    private static int[] Bytes(string text) => [.. Encoding.UTF8.GetBytes(text).Select(b => (int)b)];
}
