using System.Collections.Immutable;
using Fkd.Flow.Stages;

namespace Fkd.Flow.Tests;

/// <summary>Tiny stages for engine tests: text in, text out, with a counter of real runs.</summary>
public sealed class CountingStage(string kind, int version = 1) : IStage
{
    public int Runs;
    public Func<StageContext, Task>? Hook;
    public string Kind { get; } = kind;
    public int Version { get; set; } = version;
    public string Description => "test stage";
    public ImmutableArray<ParamDecl> Params =>
    [
        ParamDecl.Int("n", 1, "a number", min: 0),
        ParamDecl.Float("scale", 1.0, "a float"),
        ParamDecl.OneOf("mode", "a", "a choice", "a", "b"),
        ParamDecl.Str("label", null, "required text"),
        ParamDecl.Floats("weights", [1, 2], "a list"),
    ];
    public ImmutableArray<InputDecl> Inputs =>
    [
        new("up", InputShape.Entry, "upstream stage", Optional: true),
        new("file", InputShape.File, "a file", Optional: true),
    ];
    public ImmutableArray<string> Outputs => ["out.txt"];

    public async Task<StageOutcome> RunAsync(StageContext ctx, CancellationToken cancel)
    {
        Interlocked.Increment(ref Runs);
        var text = $"{ctx.StageName}:{ctx.Str("label")}:{ctx.Int("n")}";
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
    public ImmutableArray<ParamDecl> Params => [ParamDecl.Int("fold", -1, "a foreach parameter")];
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
