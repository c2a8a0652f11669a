using System.Collections.Immutable;
using Fkd.Flow.Stages;

namespace Fkd.Flow.Tests;

/// <summary>Tiny stages for engine tests: text in, text out, with a counter of real runs.</summary>
/// <summary>Every kind of parameter the engine knows, one of them required.</summary>
public sealed record ToyParams : IStageParams
{
    [Param("n", "a number", Min = 0)] public int N { get; init; } = 1;
    [Param("scale", "a float")] public double Scale { get; init; } = 1.0;
    [Param("mode", "a choice", Choices = ["a", "b"])] public string Mode { get; init; } = "a";
    [Param("label", "required text", Required = true)] public string Label { get; init; } = "";
    [Param("weights", "a list")] public ImmutableArray<double> Weights { get; init; } = [1, 2];

    /// <summary>A cross-field rule, so spec validation has one to run: mode b needs two weights.</summary>
    public LanguageExt.Validation<ParamProblem, LanguageExt.Unit> Rules() =>
        ParamRules.Check(Mode != "b" || Weights.Length == 2, "weights", $"two weights in mode b, found {Weights.Length}");
}

public sealed record FoldParams : IStageParams
{
    [Param("fold", "a foreach parameter")] public int Fold { get; init; } = -1;
}

public sealed class CountingStage(string kind, int version = 1) : IStage
{
    private static readonly ParamSchema Schema = ParamSchema.Of<ToyParams>();
    public int Runs;
    public Func<StageContext, Task>? Hook;
    public string Kind { get; } = kind;
    public int Version { get; set; } = version;
    public string Description => "test stage";
    public ImmutableArray<ParamDecl> Params => Schema.Decls;

    public LanguageExt.Validation<ParamProblem, LanguageExt.Unit> CheckRules(IReadOnlyDictionary<string, System.Text.Json.Nodes.JsonNode?> p) => Schema.CheckRules(p);
    public ImmutableArray<InputDecl> Inputs =>
    [
        new("up", InputShape.Entry, "upstream stage", Optional: true),
        new("file", InputShape.File, "a file", Optional: true),
    ];
    public ImmutableArray<string> Outputs => ["out.txt"];

    public async Task<StageOutcome> RunAsync(StageContext ctx, CancellationToken cancel)
    {
        Interlocked.Increment(ref Runs);
        var p = Schema.Bind<ToyParams>(ctx.Parameters.ToDictionary(x => x.Key, x => (System.Text.Json.Nodes.JsonNode?)x.Value));
        var text = $"{ctx.StageName}:{p.Label}:{p.N}";
        if (ctx.OptionalInput("up") is { } up) text += "|" + await File.ReadAllTextAsync(up.File("out.txt"), cancel);
        if (ctx.OptionalInput("file") is { } f) text += "|" + await File.ReadAllTextAsync(f.Path, cancel);
        await File.WriteAllTextAsync(ctx.Output("out.txt"), text, cancel);
        if (Hook is not null) await Hook(ctx);
        return StageOutcome.Of(text.Length);
    }
}

/// <summary>A toy stage with list inputs: joins its items' text in order.</summary>
public sealed class ListStage(string kind = "join") : IStage
{
    public int Runs;
    public string Kind { get; } = kind;
    public int Version => 1;
    public string Description => "test stage with list inputs";
    public ImmutableArray<ParamDecl> Params => ParamSchema.Of<FoldParams>().Decls;
    public ImmutableArray<InputDecl> Inputs =>
    [
        new("items", InputShape.File, "files to join", Many: true),
        new("ups", InputShape.Entry, "whole stages", Optional: true, Many: true),
    ];
    public ImmutableArray<string> Outputs => ["out.txt"];

    public async Task<StageOutcome> RunAsync(StageContext ctx, CancellationToken cancel)
    {
        Interlocked.Increment(ref Runs);
        var parts = new List<string>();
        foreach (var i in ctx.InputList("items")) parts.Add(await File.ReadAllTextAsync(i.Path, cancel));
        foreach (var u in ctx.InputList("ups")) parts.Add(await File.ReadAllTextAsync(u.File("out.txt"), cancel));
        var text = string.Join(";", parts);
        await File.WriteAllTextAsync(ctx.Output("out.txt"), text, cancel);
        return StageOutcome.Of(parts.Count);
    }
}
