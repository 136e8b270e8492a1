using SharpServe.Cli.Benchmarks;

namespace SharpServe.Cli.Tests.Benchmarks;

public sealed class ByteSizeTests
{
    [Theory]
    [InlineData("2048", 2048)]
    [InlineData("2GiB", 2L << 30)]
    [InlineData("512mib", 512L << 20)]
    [InlineData("1.5G", 1_500_000_000)]
    [InlineData("4K", 4000)]
    public void Parses_PlainBytes_AndBinaryAndDecimalSuffixes(string text, long expected)
    {
        Assert.True(ByteSize.TryParse(text, out long bytes));
        Assert.Equal(expected, bytes);
    }

    [Theory]
    [InlineData("")]
    [InlineData("GiB")]
    [InlineData("-1G")]
    [InlineData("two")]
    [InlineData("1e30")]
    public void Refuses_WhatIsNotASize(string text) => Assert.False(ByteSize.TryParse(text, out _));
}
