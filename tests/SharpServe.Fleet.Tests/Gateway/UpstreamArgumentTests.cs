using SharpServe.Fleet.Gateway;

namespace SharpServe.Fleet.Tests.Gateway;

public class UpstreamArgumentTests
{
    [Fact]
    public void Reads_a_url_with_or_without_fixed_model_names()
    {
        Upstream plain = UpstreamArgument.Parse("http://10.0.0.5:8000");
        Assert.Equal("10.0.0.5:8000", plain.Id);
        Assert.Equal(new Uri("http://10.0.0.5:8000/"), plain.Address);
        Assert.Empty(plain.ServedModelNames);

        Upstream named = UpstreamArgument.Parse("https://gpu-1:9000=qwen, qwen-small");
        Assert.Equal(["qwen", "qwen-small"], named.ServedModelNames);
        Assert.Equal("https", named.Address.Scheme);
    }

    [Theory]
    [InlineData("10.0.0.5:8000")]
    [InlineData("ftp://host/")]
    [InlineData("http://host:8000=")]
    public void Rejects_what_is_not_an_http_url_with_names(string text) =>
        Assert.Throws<ArgumentException>(() => UpstreamArgument.Parse(text));
}
