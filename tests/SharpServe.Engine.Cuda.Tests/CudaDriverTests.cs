namespace SharpServe.Engine.Cuda.Tests;

/// <summary>
/// The probe on this machine. CI machines have no NVIDIA driver, so it must say so and name what it looked for; on a machine
/// with one (the device check), every card it lists must have memory and a name.
/// </summary>
public sealed class CudaDriverTests
{
    [Fact]
    public void ReportsWhatItFound_AndWhyNothingWhenThereIsNoDriver()
    {
        var probe = CudaDriver.Probe();

        bool driverInstalled = new[] { "/usr/lib/x86_64-linux-gnu/libcuda.so.1", "/usr/lib64/libcuda.so.1", "/usr/lib/libcuda.so.1" }.Any(File.Exists);
        if (!driverInstalled)
        {
            Assert.False(probe.Usable);
            Assert.Empty(probe.Cards);
            Assert.Contains("libcuda.so.1", probe.Summary);
            return;
        }

        Assert.Equal(probe.Cards.Count > 0, probe.Usable);
        Assert.All(probe.Cards, card =>
        {
            Assert.False(string.IsNullOrWhiteSpace(card.Name));
            Assert.True(card.TotalBytes > 0);
        });
    }

    [Fact]
    public void ProbingTwiceGivesTheSameAnswer()
    {
        // The driver resolver is registered once per process; a second probe must not try again (the runtime would throw
        // InvalidOperationException from SetDllImportResolver) and must see the same driver and cards.
        var first = CudaDriver.Probe();
        var second = CudaDriver.Probe();

        Assert.Equal(first.Usable, second.Usable);
        Assert.Equal(first.Summary, second.Summary);
        Assert.Equal(first.Cards, second.Cards);
    }
}
