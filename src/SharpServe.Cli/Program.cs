using System.CommandLine;
using SharpServe.Cli.Commands;

var root = new RootCommand("SharpServe: serve Qwen2-architecture reasoning models from .NET")
{
    CreateModelCommand.Build(),
    LogitsCommand.Build(),
    GenerateCommand.Build(),
    TokenizerCommands.Tokenize(),
    TokenizerCommands.Detokenize(),
    ChatTemplateCommand.Build(),
    BenchCommand.Build(),
    ServeCommand.Build(),
    ChatCommand.Build(),
    FleetCommand.Build(),
    GatewayCommand.Build(),
    EvalCommand.Build(),
};
return root.Parse(args).Invoke();
