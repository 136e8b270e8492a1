using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Playwright;
using SharpServe.Cli.Tests.Fleet;
using SharpServe.Fleet.Supervision;

namespace SharpServe.Cli.Tests.Dashboard;

/// <summary>
/// <c>sharpserve fleet</c> with two tiny-model instances, its /dashboard open in Debian's headless chromium (driven by
/// Playwright, no browser download): the numbers move under streaming load, a SIGKILLed instance shows as down.
/// </summary>
public sealed class DashboardEndToEndTests : IDisposable
{
    private const string Chromium = "/usr/bin/chromium";
    private const string ApiKey = "sk-dashboard-test";
    private static readonly TimeSpan WholeTest = TimeSpan.FromMinutes(2);

    private readonly string _folder = Directory.CreateTempSubdirectory("sharpserve-dashboard-").FullName;
    private readonly int _gatewayPort = ServeProcess.FreePort();
    private readonly int _portA = ServeProcess.FreePort();
    private readonly int _portB = ServeProcess.FreePort();
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(60), DefaultRequestHeaders = { Authorization = new("Bearer", ApiKey) } };

    private Uri Gateway => new($"http://127.0.0.1:{_gatewayPort}/");

    private string IdA => $"instance-{_portA}";

    private string IdB => $"instance-{_portB}";

    /// <summary>Where the screenshot goes: beside the test assembly, so it survives the test's temp folder.</summary>
    public static string ScreenshotPath => Path.Combine(AppContext.BaseDirectory, "dashboard-screenshots", "dashboard.png");

    public void Dispose()
    {
        _http.Dispose();
        Directory.Delete(_folder, recursive: true);
    }

    [Fact]
    public async Task Dashboard_shows_live_load_and_a_killed_instance_as_down()
    {
        Assert.True(File.Exists(Chromium), $"{Chromium} is missing: this test needs Debian's chromium (apt-get install chromium; .ci/run installs it)");
        using var fleet = new FleetProcess(
            "--model", TinyModelFile.In(_folder), "--instances", "2", "--host", "127.0.0.1", "--port", Text(_gatewayPort),
            "--instance-port", Text(_portA), "--instance-port", Text(_portB), "--log-dir", Path.Combine(_folder, "logs"), "--api-key", ApiKey,
            "--memory-ceiling", "0.04", "--max-model-len", "256", "--max-num-batched-tokens", "64");
        using var stopLoad = new CancellationTokenSource();
        Task load = Task.CompletedTask;
        using var playwright = await Playwright.CreateAsync();
        IBrowserContext? browser = null;
        var pageLog = new System.Collections.Concurrent.ConcurrentQueue<string>();
        try
        {
            // Everything the test waits for shares one bound; cleanup below runs whatever happens.
            await RunAsync().WaitAsync(WholeTest);
        }
        catch (Exception e) when (!pageLog.IsEmpty)
        {
            throw new InvalidOperationException($"{e.Message}\nThe page logged:\n{string.Join('\n', pageLog)}", e);
        }
        finally
        {
            await stopLoad.CancelAsync();
            await Task.WhenAny(load, Task.Delay(TimeSpan.FromSeconds(10)));
            if (browser is not null)
            {
                await browser.CloseAsync();
            }
        }

        async Task RunAsync()
        {
            await fleet.WaitForReadyAsync(2);
            browser = await playwright.Chromium.LaunchPersistentContextAsync(Path.Combine(_folder, "chromium-profile"), new BrowserTypeLaunchPersistentContextOptions
            {
                ExecutablePath = Chromium,
                Headless = true,
                Args = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
                ViewportSize = new ViewportSize { Width = 1280, Height = 900 },
            });
            IPage page = browser.Pages.Count > 0 ? browser.Pages[0] : await browser.NewPageAsync();
            page.Console += (_, message) => pageLog.Enqueue($"console {message.Type}: {message.Text}");
            page.PageError += (_, error) => pageLog.Enqueue($"page error: {error}");
            await page.GotoAsync(new Uri(Gateway, "dashboard").AbsoluteUri);

            // The gateway has a key: the page (served without one) asks for it once, then sends it on its fetches.
            await page.Locator("#key-input").FillAsync(ApiKey, new LocatorFillOptions { Timeout = 15_000 });
            await page.Locator("#key-form button").ClickAsync();

            await UntilAsync(async () => await Text(page, $"health-{IdA}") == "up" && await Text(page, $"health-{IdB}") == "up", "both instances shown up", TimeSpan.FromSeconds(30));
            Assert.Equal("up", await Text(page, $"health-{IdA}"));
            long requestsBefore = long.Parse(await Text(page, "total-requests"), CultureInfo.InvariantCulture);

            string model = await ModelAsync();
            load = Task.WhenAll(Enumerable.Range(0, 4).Select(worker => StreamChatsAsync(model, worker, stopLoad.Token)));
            await UntilAsync(async () => long.Parse(await Text(page, "total-requests"), CultureInfo.InvariantCulture) > requestsBefore, "the request count to grow", TimeSpan.FromSeconds(40));
            await UntilAsync(async () => Number(await Text(page, "peak-tokens-per-s")) > 0, "tokens/s above 0", TimeSpan.FromSeconds(40));
            await UntilAsync(async () => Number(await Text(page, "latency-p99")) > 0, "a latency P99 of completed requests", TimeSpan.FromSeconds(40));

            int pid = await PidAsync(IdA);
            Assert.Equal(pid.ToString(CultureInfo.InvariantCulture), await Text(page, $"pid-{IdA}"));
            Assert.True(ParentDeath.Signal(pid, FleetProcess.SigKill), $"could not SIGKILL instance pid {pid}");
            await UntilAsync(async () => await Text(page, $"health-{IdA}") == "down" || await Text(page, $"state-{IdA}") is "restarting" or "starting",
                $"{IdA} shown down or restarting after SIGKILL", TimeSpan.FromSeconds(15), poll: TimeSpan.FromMilliseconds(50));
            Assert.Equal("up", await Text(page, $"health-{IdB}"));

            // Taken while the killed instance is still shown down, with the load still running.
            Directory.CreateDirectory(Path.GetDirectoryName(ScreenshotPath)!);
            await page.ScreenshotAsync(new PageScreenshotOptions { Path = ScreenshotPath, FullPage = true });
            byte[] png = await File.ReadAllBytesAsync(ScreenshotPath);
            Assert.True(png.Length > 10_000, $"the screenshot is only {png.Length} bytes");
            Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A], png[..8]);
        }
    }

    private static Task<string> Text(IPage page, string testId) => page.GetByTestId(testId).InnerTextAsync(new LocatorInnerTextOptions { Timeout = 10_000 });

    private static double Number(string text) =>
        double.TryParse(text.Replace(",", "", StringComparison.Ordinal), NumberStyles.Float, CultureInfo.InvariantCulture, out double value) ? value : 0;

    private static string Text(int port) => port.ToString(CultureInfo.InvariantCulture);

    private static async Task UntilAsync(Func<Task<bool>> condition, string what, TimeSpan timeout, TimeSpan? poll = null)
    {
        DateTime deadline = DateTime.UtcNow + timeout;
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"timed out after {timeout.TotalSeconds} s waiting for: {what}");
            await Task.Delay(poll ?? TimeSpan.FromMilliseconds(200));
        }
    }

    private async Task<string> ModelAsync()
    {
        using var models = JsonDocument.Parse(await _http.GetStringAsync(new Uri(Gateway, "v1/models")));
        return models.RootElement.GetProperty("data")[0].GetProperty("id").GetString()!;
    }

    private async Task<int> PidAsync(string id)
    {
        using var status = JsonDocument.Parse(await _http.GetStringAsync(new Uri(Gateway, "fleet/status")));
        return status.RootElement.GetProperty("instances").EnumerateArray().Single(i => i.GetProperty("id").GetString() == id).GetProperty("pid").GetInt32();
    }

    /// <summary>Streaming chats of ~100 tokens, one after another, until stopped; failures (the killed instance) are expected.</summary>
    private async Task StreamChatsAsync(string model, int worker, CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            try
            {
                using var response = await _http.PostAsJsonAsync(new Uri(Gateway, "v1/chat/completions"), new
                {
                    model,
                    stream = true,
                    max_tokens = 100,
                    ignore_eos = true,
                    messages = new[] { new { role = "user", content = $"Worker {worker} says hello" } },
                }, stop);
                await response.Content.ReadAsStringAsync(stop);
            }
            catch (Exception e) when (e is HttpRequestException or OperationCanceledException or IOException)
            {
                await Task.Delay(100, CancellationToken.None);
            }
        }
    }
}
