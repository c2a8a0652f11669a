using System.Text.Json.Nodes;
using Fkd.Cli.Bench;
using Fkd.Cli.Commands;

namespace Fkd.Cli.Tests.Bench;

/// <summary>Pure parts of `bench`: the JSON shape, absent peers, ratios. Nothing here is timed.</summary>
public sealed class BenchTests
{
    private sealed class FailingPeer(string why) : IPeerRunner
    {
        public (JsonObject? Output, string? Error) Run(string script, IReadOnlyList<string> args, TimeSpan timeout) => (null, why);
    }

    private sealed class FixedPeer(JsonObject output) : IPeerRunner
    {
        public (JsonObject? Output, string? Error) Run(string script, IReadOnlyList<string> args, TimeSpan timeout) => (output, null);
    }

    [Fact]
    public void An_absent_peer_gives_nulls_and_says_why()
    {
        var peer = Peers.Measure(new FailingPeer("No module named 'pandas'"), "pandas", "pandas_parse.py", ["x", "1"], "gb_per_s", TimeSpan.FromSeconds(1));
        var json = BenchReport.Combine("parse", 1.25, "GB/s", peer, higherIsBetter: true, new JsonObject { ["rows"] = 7049 }).ToJson();

        Assert.Equal(["name", "value", "unit", "peer", "peer_value", "ratio", "details"], json.Select(p => p.Key).ToArray());
        Assert.Equal("parse", json["name"]!.GetValue<string>());
        Assert.Equal(1.25, json["value"]!.GetValue<double>());
        Assert.Equal("GB/s", json["unit"]!.GetValue<string>());
        Assert.Equal("pandas (absent: No module named 'pandas')", json["peer"]!.GetValue<string>());
        Assert.Null(json["peer_value"]);
        Assert.Null(json["ratio"]);
        Assert.Equal(7049, json["details"]!["rows"]!.GetValue<int>());
        // Printed form: nulls are written, not left out.
        var text = json.ToJsonString();
        Assert.Contains("\"peer_value\":null", text);
        Assert.Contains("\"ratio\":null", text);
    }

    [Fact]
    public void A_peer_without_the_expected_field_is_absent_not_zero()
    {
        var peer = Peers.Measure(new FixedPeer(new JsonObject { ["other"] = 3 }), "pytorch", "torch_train.py", [], "images_per_s", TimeSpan.FromSeconds(1));
        Assert.Null(peer.Value);
        Assert.StartsWith("pytorch (absent: ", peer.Label);
        var r = BenchReport.Combine("train", 100, "images/s", peer, true, []);
        Assert.Null(r.PeerValue);
        Assert.Null(r.Ratio);
    }

    /// <summary>A peer on the reference BLAS is kept (its figure is real) but flagged: its linear layers are several times
    /// slower than PyTorch's can be, so the ratio flatters us. One on OpenBLAS, or one that does not say, is not.</summary>
    [Theory]
    [InlineData(new[] { "openblas", "openblas" }, "openblas", false)]
    [InlineData(new[] { "openblas", "reference" }, "openblas,reference", true)]
    [InlineData(new[] { "reference", "" }, "reference", true)]
    [InlineData(new[] { "", "" }, "", false)]
    public void A_peer_on_the_reference_BLAS_is_flagged(string[] blas, string listed, bool warned)
    {
        var outputs = blas.Select(b => b.Length == 0 ? new JsonObject { ["images_per_s"] = 1.0 } : new JsonObject { ["blas"] = b });
        var details = new JsonObject();
        PeerBlas.AddTo(details, [.. outputs, null]);
        Assert.Equal(listed, string.Join(",", details["peer_blas"]!.AsArray().Select(n => n!.GetValue<string>())));
        Assert.Equal(warned, details["peer_warning"] is not null);
        if (warned) Assert.Contains("libopenblas0-pthread", details["peer_warning"]!.GetValue<string>());
    }

    [Fact]
    public void A_present_peer_gives_its_value_and_the_ratio()
    {
        var peer = Peers.Measure(new FixedPeer(new JsonObject { ["images_per_s"] = 50.0 }), "pytorch", "torch_train.py", [], "images_per_s", TimeSpan.FromSeconds(1));
        var r = BenchReport.Combine("train", 100, "images/s", peer, higherIsBetter: true, []);
        Assert.Equal("pytorch", r.Peer);
        Assert.Equal(50.0, r.PeerValue);
        Assert.Equal(2.0, r.Ratio);
    }

    [Theory]
    [InlineData(2.0, 1.0, true, 2.0)]    // speeds: ours / peer
    [InlineData(1.0, 4.0, true, 0.25)]
    [InlineData(0.5, 2.0, false, 4.0)]   // times: peer / ours, so > 1 still means we are faster
    [InlineData(2.0, 1.0, false, 0.5)]
    public void Ratio_is_above_one_when_we_are_faster(double ours, double peer, bool higherIsBetter, double expected) =>
        Assert.Equal(expected, Ratios.Of(ours, peer, higherIsBetter)!.Value, 12);

    [Theory]
    [InlineData(null)]
    [InlineData(0.0)]
    [InlineData(-1.0)]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    public void Ratio_is_null_without_a_usable_peer_value(double? peer) =>
        Assert.Null(Ratios.Of(1.0, peer, true));

    [Fact]
    public void Medians()
    {
        Assert.Equal(2.0, Ratios.Median([3.0, 1.0, 2.0]));
        Assert.Equal(2.5, Ratios.Median([4.0, 1.0, 2.0, 3.0]));
        Assert.Throws<ArgumentException>(() => Ratios.Median([]));
    }

    [Fact]
    public void Repeats_default_per_mode_and_can_be_overridden()
    {
        Assert.Equal(3, new BenchSettings().RepeatsOr(3, 1));
        Assert.Equal(1, new BenchSettings(Quick: true).RepeatsOr(3, 1));
        Assert.Equal(7, new BenchSettings(Repeats: 7, Quick: true).RepeatsOr(3, 1));
    }

    [Theory]
    [InlineData("pandas_parse.py")]
    [InlineData("torchvision_augment.py")]
    [InlineData("snakemake_noop.py")]
    [InlineData("torch_train.py")]
    public void Peer_scripts_are_embedded(string script) =>
        Assert.Contains("json.dumps", PythonPeerRunner.ReadScript(script));

    [Theory]
    [InlineData(20.0, 192, 4.0, 192)]    // a slow model keeps the least
    [InlineData(100.0, 192, 4.0, 448)]   // 400 images' worth, rounded up to whole batches of 64
    [InlineData(2800.0, 192, 4.0, 11200)] // 175 whole batches
    [InlineData(7700.0, 192, 4.0, 16384)] // capped
    [InlineData(500.0, 128, 1.5, 768)]
    public void Train_all_sizes_an_epoch_to_last_a_few_seconds(double rate, int least, double seconds, int expected) =>
        Assert.Equal(expected, TrainAllBenchmark.ImagesFor(rate, least, seconds));

    [Theory]
    [InlineData("parse", null, true)]
    [InlineData("memory", "conv10", true)]
    [InlineData("train", "conv10,nope", true)]
    [InlineData("train", "conv10,,lenet5", true)]
    [InlineData("train", "conv10,conv10", true)]
    [InlineData("train", "conv10,lenet5", false)] // a list is for --all
    [InlineData("memory", "conv10,lenet5", false)]
    public async Task All_is_for_bench_train_and_a_list_of_models_for_all(string name, string? model, bool all) =>
        await Assert.ThrowsAsync<UsageException>(() =>
            BenchCommand.RunAsync(name, new BenchSettings(Model: model, All: all), json: true, new FailingPeer("unused"), CancellationToken.None));

    [Fact]
    public void Train_all_measures_every_model_but_the_skipped_ones_unless_told_which()
    {
        var every = TrainAllBenchmark.Models(null);
        Assert.Equal(Fkd.Stages.Torch.ModelFactory.Names.Where(m => !TrainAllBenchmark.Skipped.ContainsKey(m)), every);
        Assert.DoesNotContain("resnext101", every);
        Assert.Contains("naimishnet", every);
        // A list keeps its order, trims spaces, and may name a skipped model.
        Assert.Equal(["resnet18", "naimishnet", "resnext101"], TrainAllBenchmark.Models("resnet18, naimishnet,resnext101"));
        Assert.Equal(["lenet5"], TrainAllBenchmark.Models("lenet5"));
    }

    [Fact]
    public void The_rerun_pipeline_has_eight_stages() =>
        Assert.Equal(RerunBenchmark.Stages, JsonNode.Parse(RerunBenchmark.PipelineJson(100))!["stages"]!.AsObject().Count);
}
