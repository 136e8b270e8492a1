using SharpServe.Bench;

// Benchmarks are separate from tests: `dotnet run -c Release --project bench/SharpServe.Bench -- engine|batched|kernels|tokenizer|regress-golden [options]`.
if (args.Any(a => a is "--help" or "-h"))
{
    Usage(Console.Out);
    return 0;
}

try
{
    return args.FirstOrDefault() switch
    {
        "engine" => EngineBench.Run(args[1..]),
        "batched" => BatchedBench.Run(args[1..]),
        "kernels" => KernelBench.Run(args[1..]),
        "tokenizer" => TokenizerBench.Run(args[1..]),
        "regress-golden" => RegressGolden.Run(args[1..]),
        _ => Usage(Console.Error),
    };
}
catch (Exception e) when (e is ArgumentException or FormatException)
{
    // A mistyped option or value: say which, show the usage, no stack trace.
    Console.Error.WriteLine($"error: {e.Message}");
    Usage(Console.Error);
    return 2;
}

static int Usage(TextWriter output)
{
    output.WriteLine("usage: SharpServe.Bench engine [--formats q8_0,f16,bf16,q4_0,q6_k,q4_k_m,int8,awq | --model FILE.gguf ...] [--threads N] [--decode-tokens N] [--prefill-tokens N] [--batched-sequences N] [--batched-prompt N] [--batched-steps N] [--repeats N] [--tokenizer PATH] [--markdown PATH] [--profile]");
    output.WriteLine("       SharpServe.Bench batched [--model FILE.gguf] [--num-prompts N] [--input-len N] [--output-len N] [--concurrency 1,8,32] ...   (continuous batching vs llama.cpp)");
    output.WriteLine("       SharpServe.Bench kernels [--quick] [--cached] [--cpu-time] [--threads 1,2] [--only pool|gemv|gemm|batch|attention] [--tokens 128,8] [--dtypes Q8_0,Q4_0,Q4_K]");
    output.WriteLine("       SharpServe.Bench tokenizer   (BenchmarkDotNet: encode throughput vs Microsoft.ML.Tokenizers)");
    output.WriteLine("       SharpServe.Bench regress-golden [--model FILE.gguf] --cases CASES.json --out GOLDEN.json [--min-margin 0.001]   (eval regress golden from llama.cpp)");
    return 2;
}
