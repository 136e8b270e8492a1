namespace SharpServe.Engine.Loading;

/// <summary>
/// The per-user cache directory (created models, the tokenizer download):
/// <c>$SHARPSERVE_CACHE</c>, else <c>$XDG_CACHE_HOME/sharpserve</c>, else <c>~/.cache/sharpserve</c>.
/// </summary>
public static class UserCache
{
    public static string Directory
    {
        get
        {
            string? explicitDir = Environment.GetEnvironmentVariable("SHARPSERVE_CACHE");
            if (!string.IsNullOrEmpty(explicitDir))
            {
                return explicitDir;
            }

            string? xdg = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
            string root = !string.IsNullOrEmpty(xdg)
                ? xdg
                : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache");
            return Path.Combine(root, "sharpserve");
        }
    }

    /// <summary>A sub-directory of the cache, created if needed.</summary>
    public static string SubDirectory(string name)
    {
        string dir = Path.Combine(Directory, name);
        System.IO.Directory.CreateDirectory(dir);
        return dir;
    }
}
