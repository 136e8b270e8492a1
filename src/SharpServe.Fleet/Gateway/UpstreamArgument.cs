namespace SharpServe.Fleet.Gateway;

/// <summary>Reads <c>--upstream URL</c> or <c>--upstream URL=name1,name2</c> (fixed model names instead of asking its /v1/models).</summary>
public static class UpstreamArgument
{
    /// <exception cref="ArgumentException">Not an absolute http(s) URL, or an empty name list.</exception>
    public static Upstream Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        int equals = text.IndexOf('=', StringComparison.Ordinal);
        string url = equals < 0 ? text : text[..equals];
        if (!Uri.TryCreate(url, UriKind.Absolute, out Uri? address) || address.Scheme is not ("http" or "https"))
        {
            throw new ArgumentException($"--upstream '{text}': expected an http(s) URL such as http://10.0.0.5:8000, optionally =model1,model2");
        }

        string[] names = equals < 0 ? [] : text[(equals + 1)..].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (equals >= 0 && names.Length == 0)
        {
            throw new ArgumentException($"--upstream '{text}': no model names after '='");
        }

        // Its id is the host and port, which is what an operator knows it by.
        return new Upstream(address.Authority, address, names);
    }
}
