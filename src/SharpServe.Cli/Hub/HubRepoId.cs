namespace SharpServe.Cli.Hub;

/// <summary>A model repository on the hub, <c>owner/name</c>.</summary>
public sealed record HubRepoId(string Owner, string Name)
{
    public override string ToString() => $"{Owner}/{Name}";

    /// <summary>The repository's folder in the hub cache, as huggingface_hub names it.</summary>
    public string CacheFolderName => $"models--{Owner}--{Name}";

    /// <summary>Reads <c>owner/name</c>; anything else (a path with more parts, an empty part, '..') is not a repo id.</summary>
    public static bool TryParse(string text, out HubRepoId repo)
    {
        repo = null!;
        string[] parts = text.Split('/');
        if (parts.Length != 2 || !parts.All(IsNamePart))
        {
            return false;
        }

        repo = new HubRepoId(parts[0], parts[1]);
        return true;
    }

    private static bool IsNamePart(string part) =>
        part.Length > 0 && part is not ("." or "..") && part.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.');
}
