using System.CommandLine;
using System.Text.Json.Nodes;
using Fkd.Cli.Bench;

namespace Fkd.Cli.Commands;

/// <summary>
/// `bench NAME [FOLDER] [--json] [--repeats N] [--quick] [--model M] [--epochs N]`: one measurement against a peer run
/// as a child process in the same invocation. Release builds only. `bench` alone or `bench list` names the benchmarks.
/// FOLDER: the data a benchmark reads (bench accuracy: a faces-real folder).
/// </summary>
public static class BenchCommand
{
    public static readonly IReadOnlyList<(string Name, string What)> Benchmarks =
    [
        ("parse", "Kaggle-size CSV (~240 MB) to Parquet, GB/s; peer: pandas read_csv + Image to uint8 arrays"),
        ("augment", "default recipe (flip x rotation x brightness) on 96x96, images/s on all cores; peer: torchvision"),
        ("rerun", "no-op rerun of an 8-stage pipeline as a child process, seconds; peer: Snakemake no-op of 8 rules"),
        ("train", "training images/s, batch 64, 2 threads (--model, default cnn-small; --all: every model, or those --model lists, in the bench and in a pipeline); peer: PyTorch, same layers"),
        ("distributed", "8 independent trainings on 2 workers vs 1 (local cluster: PostgreSQL, s3rver), seconds; overhead per job; no-op distributed rerun"),
        ("memory", "peak RSS of augment + one training epoch at 10k, 100k, 500k images, each in a child process; peer: the smallest size"),
        ("accuracy", "FOLDER (faces-real): holdout RMSE of pipelines/accuracy.json's model (--model, --epochs; default its own model and epochs), training time; peer: PyTorch, same layers, recipe and images"),
    ];

    public static Command Create()
    {
        var name = new Argument<string?>("name") { Description = "parse | augment | rerun | train | memory | distributed | accuracy | list", Arity = ArgumentArity.ZeroOrOne };
        var folder = new Argument<string?>("folder") { Description = "accuracy: the faces-real folder (train.csv.gz, train_sources.csv, holdout.csv.gz)", Arity = ArgumentArity.ZeroOrOne };
        var json = Common.JsonOption();
        var repeats = new Option<int?>("--repeats") { Description = "measured repeats (default per benchmark; medians are reported)" };
        var quick = new Option<bool>("--quick") { Description = "a smaller, faster run" };
        var model = new Option<string?>("--model") { Description = "train, memory, accuracy: the model (default cnn-small; e.g. conv10); with train --all, a comma-separated list of models" };
        var epochs = new Option<int?>("--epochs") { Description = "accuracy: training epochs (default: the accuracy pipeline's)" };
        var all = new Option<bool>("--all") { Description = "train: every model (or those --model lists), each in the benchmark, in a pipeline and in PyTorch" };
        var images = new Option<int?>("--images") { Description = "memory: measure one size in this process (what each child runs)", Hidden = true };
        var cmd = new Command("bench", "measure against a peer (pandas, torchvision, Snakemake, PyTorch); Release builds only")
            { name, folder, json, repeats, quick, model, all, epochs, images };
        cmd.SetAction(async (pr, ct) =>
        {
            var n = pr.GetValue(name);
            var r = pr.GetValue(repeats);
            if (r is < 1) throw new UsageException("--repeats must be at least 1");
            if (pr.GetValue(images) is { } one)
            {
                if (n != "memory") throw new UsageException("--images applies to 'bench memory' only");
                Common.PrintJson(await MemoryBenchmark.RunOneAsync(one, pr.GetValue(model) ?? Fkd.Stages.Torch.ModelFactory.Default, ct));
                return ExitCodes.Ok;
            }
            var settings = new BenchSettings(r, pr.GetValue(quick), pr.GetValue(model), pr.GetValue(all),
                pr.GetValue(folder), pr.GetValue(epochs), pr.GetValue(Common.StoreOption));
            return await RunAsync(n, settings, pr.GetValue(json), new PythonPeerRunner(), ct);
        });
        return cmd;
    }

    public static async Task<int> RunAsync(string? name, BenchSettings settings, bool json, IPeerRunner peer, CancellationToken ct)
    {
        if (name is null or "list")
        {
            if (json) Common.PrintJson(new JsonObject { ["benchmarks"] = new JsonArray([.. Benchmarks.Select(b => (JsonNode)new JsonObject { ["name"] = b.Name, ["measures"] = b.What })]) });
            var w = name is null && !json ? System.Console.Error : System.Console.Out;
            if (!json) foreach (var (n, what) in Benchmarks) w.WriteLine($"  {n,-8} {what}");
            if (name is null) System.Console.Error.WriteLine("usage: fkd bench NAME [FOLDER] [--json] [--repeats N] [--quick]");
            return name is null ? ExitCodes.Usage : ExitCodes.Ok;
        }
        if (!Benchmarks.Any(b => b.Name == name))
            throw new UsageException($"unknown benchmark '{name}' (expected one of {string.Join(", ", Benchmarks.Select(b => b.Name))}, or list)");
        if (settings.Model is not null && name is not ("train" or "memory" or "accuracy"))
            throw new UsageException("--model applies to 'bench train', 'bench memory' and 'bench accuracy' only");
        if (name == "accuracy")
        {
            AccuracyBenchmark.CheckFolder(settings.Data);
            if (settings.Epochs is < 1) throw new UsageException("--epochs must be at least 1");
            if (settings.Model is { } m) TrainBenchmark.CheckModel(m);
            if (settings.Repeats is not null || settings.Quick)
                throw new UsageException("bench accuracy trains once and has no quick mode: --epochs N sets its length");
        }
        else if (settings.Data is not null)
            throw new UsageException($"bench {name} takes no folder ('{settings.Data}'); only 'bench accuracy' does");
        else if (settings.Epochs is not null)
            throw new UsageException("--epochs applies to 'bench accuracy' only");
        if (settings.All && name != "train")
            throw new UsageException("--all applies to 'bench train' only");
        if (settings.All) TrainAllBenchmark.Models(settings.Model);
        else if (settings.Model is { } single && single.Contains(','))
            throw new UsageException($"--model takes one model ('{single}'); a list of models is for 'bench train --all'");
        if (BuildInfo.IsDebug(typeof(BenchCommand).Assembly))
        {
            System.Console.Error.WriteLine("error: this is a Debug build; benchmarks measure Release builds only (dotnet build src/Fkd.Cli -c Release)");
            return ExitCodes.Usage;
        }
        System.Console.Error.WriteLine($"bench {name}{(settings.Quick ? " (quick)" : "")}: measuring ours, then the peer...");
        var report = name switch
        {
            "parse" => await ParseBenchmark.RunAsync(settings, peer, ct),
            "augment" => await AugmentBenchmark.RunAsync(settings, peer, ct),
            "rerun" => RerunBenchmark.Run(settings, peer, ct),
            "train" => settings.All ? TrainAllBenchmark.Run(settings, peer, ct) : TrainBenchmark.Run(settings, peer, ct),
            "memory" => MemoryBenchmark.Run(settings, ct),
            "distributed" => DistributedBenchmark.Run(settings, ct),
            "accuracy" => AccuracyBenchmark.Run(settings, peer, ct),
            _ => throw new UsageException($"unknown benchmark '{name}'"),
        };
        if (json) Common.PrintJson(report.ToJson());
        else System.Console.Out.WriteLine(report.ToText());
        return ExitCodes.Ok;
    }
}
