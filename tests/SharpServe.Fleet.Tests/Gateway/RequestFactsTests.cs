using System.Text;
using SharpServe.Fleet.Gateway;

namespace SharpServe.Fleet.Tests.Gateway;

public class RequestFactsTests
{
    [Fact]
    public void Reads_model_and_prompt_text_from_messages_parts_and_prompt()
    {
        var chat = RequestFacts.Parse(Encoding.UTF8.GetBytes("""{"model":"m","messages":[{"role":"system","content":"be brief"},{"role":"user","content":[{"type":"text","text":"hi"}]}]}"""));
        Assert.Equal("m", chat.Model);
        Assert.Equal("be brief\nhi\n", chat.PromptPrefix);

        var completion = RequestFacts.Parse(Encoding.UTF8.GetBytes($$"""{"model":"m","prompt":"{{new string('x', 5000)}}"}"""));
        Assert.Equal(RequestFacts.PrefixChars, completion.PromptPrefix!.Length);

        Assert.Equal(RequestFacts.None, RequestFacts.Parse(Encoding.UTF8.GetBytes("not json")));
        Assert.Equal(RequestFacts.None, RequestFacts.Parse(Encoding.UTF8.GetBytes("[1]")));
    }

    [Fact]
    public void Reads_vllm_load_from_metrics_text()
    {
        var load = InstanceLoad.Parse("# HELP vllm:kv_cache_usage_perc x\nvllm:kv_cache_usage_perc{model_name=\"a\"} 0.5\nvllm:num_requests_running{model_name=\"a\"} 2\nvllm:num_requests_running_other 9\nvllm:generation_tokens_total{model_name=\"a\"} 120\nvllm:generation_tokens_total{model_name=\"b\"} 3\n");
        Assert.Equal(0.5, load.KvCacheUsage);
        Assert.Equal(2, load.Running);
        Assert.Null(load.Waiting);
        Assert.Equal(123, load.GenerationTokens);
    }
}
