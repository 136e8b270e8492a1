using SharpServe.Bench;

// Benchmarks are separate from tests: `dotnet run -c Release --project bench/SharpServe.Bench -- engine|kernels [options]`.
return args.FirstOrDefault() switch
{
    "engine" => EngineBench.Run(args[1..]),
    "kernels" => KernelBench.Run(args[1..]),
    "tokenizer" => TokenizerBench.Run(args[1..]),
    _ => Usage(),
};

static int Usage()
{
    Console.Error.WriteLine("usage: SharpServe.Bench engine [--model FILE.gguf ...] [--threads N] [--decode-tokens N] [--repeats N]");
    Console.Error.WriteLine("       SharpServe.Bench kernels");
    Console.Error.WriteLine("       SharpServe.Bench tokenizer   (BenchmarkDotNet: encode throughput vs Microsoft.ML.Tokenizers)");
    return 2;
}
