using SharpServe.Bench;

// Benchmarks are separate from tests: `dotnet run -c Release --project bench/SharpServe.Bench -- engine|batched|kernels|tokenizer|regress-golden [options]`.
return args.FirstOrDefault() switch
{
    "engine" => EngineBench.Run(args[1..]),
    "batched" => BatchedBench.Run(args[1..]),
    "kernels" => KernelBench.Run(args[1..]),
    "tokenizer" => TokenizerBench.Run(args[1..]),
    "regress-golden" => RegressGolden.Run(args[1..]),
    _ => Usage(),
};

static int Usage()
{
    Console.Error.WriteLine("usage: SharpServe.Bench engine [--formats q8_0,f16,bf16,q4_0,q6_k,int8,awq | --model FILE.gguf ...] [--threads N] [--decode-tokens N] [--prefill-tokens N] [--batched-sequences N] [--batched-prompt N] [--batched-steps N] [--repeats N] [--markdown PATH]");
    Console.Error.WriteLine("       SharpServe.Bench batched [--model FILE.gguf] [--num-prompts N] [--input-len N] [--output-len N] [--concurrency 1,8,32] ...   (continuous batching vs llama.cpp)");
    Console.Error.WriteLine("       SharpServe.Bench kernels");
    Console.Error.WriteLine("       SharpServe.Bench tokenizer   (BenchmarkDotNet: encode throughput vs Microsoft.ML.Tokenizers)");
    Console.Error.WriteLine("       SharpServe.Bench regress-golden [--model FILE.gguf] --cases CASES.json --out GOLDEN.json [--min-margin 0.001]   (eval regress golden from llama.cpp)");
    return 2;
}
