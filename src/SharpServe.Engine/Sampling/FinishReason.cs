namespace SharpServe.Engine.Sampling;

/// <summary>Why a request ended, with the OpenAI API's names: "stop" and "length".</summary>
public enum FinishReason
{
    Stop,
    Length,
}

/// <summary>
/// vLLM's end-of-request rules after each token: nothing ends it before min_tokens outputs; then EOS (unless
/// ignore_eos), a stop_token_ids entry or a completed stop string give "stop", and reaching max_tokens gives
/// "length". A stop string completed by the last allowed token still reports "stop", as vLLM's does.
/// </summary>
public sealed class FinishChecker(SamplingParams parameters, IReadOnlyList<int> eosTokenIds)
{
    private readonly HashSet<int> _stopTokens = [.. RequestSampler.StopTokens(parameters, eosTokenIds)];

    /// <param name="token">The token just appended.</param>
    /// <param name="outputCount">Output tokens including <paramref name="token"/>.</param>
    /// <param name="stopStringCompleted">Whether the <see cref="StopStringMatcher"/> reported a stop for it.</param>
    /// <returns>Null while the request goes on.</returns>
    public FinishReason? Check(int token, int outputCount, bool stopStringCompleted)
    {
        if (outputCount < parameters.MinTokens)
        {
            return null;
        }

        // vLLM's detokenizer only checks stop strings once the output is longer than min_tokens.
        if (_stopTokens.Contains(token) || (stopStringCompleted && outputCount > parameters.MinTokens))
        {
            return FinishReason.Stop;
        }

        return outputCount >= parameters.MaxTokens ? FinishReason.Length : null;
    }
}
