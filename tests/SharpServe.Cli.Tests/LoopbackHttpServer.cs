using System.Net;

namespace SharpServe.Cli.Tests;

/// <summary>
/// An HttpListener on 127.0.0.1 at a free port that hands each request to <see cref="HandleAsync"/> until
/// disposed: the stand-in for a remote server (the Hugging Face hub, an OpenAI server) in CLI tests.
/// </summary>
public abstract class LoopbackHttpServer : IDisposable
{
    private readonly HttpListener _listener = new();
    private Task _loop = Task.CompletedTask;

    /// <param name="basePath">Prefix of every URL it answers, e.g. "/v1"; empty for the root.</param>
    protected LoopbackHttpServer(string basePath = "")
    {
        Url = $"http://127.0.0.1:{ServeProcess.FreePort()}{basePath}";
    }

    /// <summary>The base URL, without a trailing slash.</summary>
    public string Url { get; }

    public void Dispose()
    {
        // Close alone: after Stop, the managed HttpListener's Close removes the prefixes a second time and in doing so
        // binds the port again, which fails when a parallel test has taken it meanwhile.
        _listener.Close();
        _loop.Wait(TimeSpan.FromSeconds(5));
        GC.SuppressFinalize(this);
    }

    /// <summary>Starts answering; called by the subclass once its own state is set up.</summary>
    protected void Start()
    {
        _listener.Prefixes.Add(Url + "/");
        _listener.Start();
        _loop = Task.Run(ServeAsync);
    }

    protected abstract Task HandleAsync(HttpListenerContext context);

    private async Task ServeAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException)
            {
                return;
            }

            try
            {
                await HandleAsync(context);
            }
            catch (Exception e) when (e is HttpListenerException or IOException)
            {
                // The client went away (or the test cut the connection on purpose).
            }
        }
    }
}
