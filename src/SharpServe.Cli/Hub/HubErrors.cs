using System.Net;

namespace SharpServe.Cli.Hub;

/// <summary>The hub's failure statuses as messages that say what to do.</summary>
internal static class HubErrors
{
    public static void ThrowUnlessSuccess(HttpResponseMessage response, HubRepoId repo, string what)
    {
        if ((int)response.StatusCode is >= 200 and < 400)
        {
            return;
        }

        throw response.StatusCode switch
        {
            HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden =>
                new HubException($"{repo}: access denied (HTTP {(int)response.StatusCode}) for {what}; set HF_TOKEN to a token that may read this repository (gated models must be accepted on the hub first)"),
            HttpStatusCode.NotFound =>
                new HubException($"{repo}: not found (HTTP 404) for {what}; check the repository id, or set HF_TOKEN if it is private"),
            _ => new HubException($"{repo}: the hub answered HTTP {(int)response.StatusCode} for {what}"),
        };
    }
}
