namespace SharpServe.Cli.Hub;

/// <summary>
/// Where the hub is and where its files are cached, read from the variables huggingface_hub reads:
/// <c>HF_ENDPOINT</c> (a mirror), <c>HF_TOKEN</c>, and <c>HF_HOME</c> (cache under <c>$HF_HOME/hub</c>).
/// </summary>
public sealed record HubSettings(Uri Endpoint, string? Token, string CacheDirectory)
{
    private const string DefaultEndpoint = "https://huggingface.co";

    public static HubSettings FromEnvironment()
    {
        string endpoint = NonEmpty("HF_ENDPOINT") ?? DefaultEndpoint;
        string home = NonEmpty("HF_HOME")
            ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "huggingface");
        return new HubSettings(new Uri(endpoint.TrimEnd('/') + "/"), NonEmpty("HF_TOKEN"), Path.Combine(home, "hub"));
    }

    private static string? NonEmpty(string variable) =>
        Environment.GetEnvironmentVariable(variable) is { Length: > 0 } value ? value : null;
}
