using System.Diagnostics;
using System.Net;
using System.Text.Json.Nodes;
using Fkd.Cli.Tests.EndToEnd;

namespace Fkd.Cli.Tests.Ui;

/// <summary>A store with two runs of full.json (the second with one augmentation parameter changed), and `ui` serving it.</summary>
public sealed class UiFixture : IDisposable
{
    public string Dir { get; } = Directory.CreateTempSubdirectory("fkd-ui-").FullName;
    public string Store => Path.Combine(Dir, "artifacts");
    public string Address { get; }
    public string FirstRun { get; }
    public string SecondRun { get; }
    public string EvaluateKey { get; }
    public HttpClient Http { get; }
    private readonly Process _server;

    private static readonly string[] Small =
    [
        "--set", "faces.train_rows=160", "--set", "faces.test_rows=12", "--set", "faces.duplicate_groups=4", "--set", "faces.wrong_labels=2",
        "--set", "train.epochs=1", "--set", "train.batch_size=32",
    ];

    public UiFixture()
    {
        string[] Run(params string[] extra) => ["run", RepoPaths.InRepo("pipelines", "full.json"), "--store", Store, "--json", .. Small, .. extra];
        var first = CliProcess.Run(null, Run());
        var second = CliProcess.Run(null, Run("--set", "augment.rotations=[-5,5]"));
        if (first.Exit != 0 || second.Exit != 0) throw new InvalidOperationException(first.Tail + second.Tail);
        FirstRun = (string)JsonNode.Parse(first.Stdout)!["run"]!;
        SecondRun = (string)JsonNode.Parse(second.Stdout)!["run"]!;
        EvaluateKey = JsonNode.Parse(second.Stdout)!["stages"]!.AsArray().Select(s => s!).First(s => (string)s["name"]! == "evaluate")["key"]!.GetValue<string>();

        _server = CliProcess.Start(null, "ui", "--store", Store, "--port", "0");
        _ = _server.StandardError.ReadToEndAsync();
        var line = _server.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromMinutes(1)).GetAwaiter().GetResult();
        Address = line ?? throw new InvalidOperationException("ui printed no address");
        Http = new HttpClient { BaseAddress = new Uri(Address) };
    }

    public void Dispose()
    {
        Http.Dispose();
        try { _server.Kill(entireProcessTree: true); _server.WaitForExit(); } catch (InvalidOperationException) { }
        _server.Dispose();
        try { Directory.Delete(Dir, true); } catch (IOException) { }
    }
}

public sealed class UiTests(UiFixture ui) : IClassFixture<UiFixture>
{
    private async Task<string> Page(string path)
    {
        var r = await ui.Http.GetAsync(path);
        Assert.True(r.StatusCode == HttpStatusCode.OK, $"{path}: {(int)r.StatusCode}");
        Assert.StartsWith("text/html", r.Content.Headers.ContentType!.ToString());
        return await r.Content.ReadAsStringAsync();
    }

    [Fact]
    public void It_listens_on_loopback_only() => Assert.StartsWith("http://127.0.0.1:", ui.Address);

    [Fact]
    public async Task The_home_page_lists_the_runs_newest_first_with_what_they_did()
    {
        var html = await Page("/");
        Assert.True(html.IndexOf(ui.SecondRun, StringComparison.Ordinal) < html.IndexOf(ui.FirstRun, StringComparison.Ordinal));
        Assert.Contains($"href=\"/runs/{ui.FirstRun}\"", html);
        Assert.Contains("augment.rotations=[-5,5]", html);
        Assert.Contains("<form action=\"/compare\"", html);
        Assert.Single(System.Text.RegularExpressions.Regex.Matches(html, "\\(best\\)")); // one run marked as the best scored
        Assert.DoesNotContain("<script", html); // works offline, nothing fetched from elsewhere
        Assert.DoesNotContain("http", html.Replace(ui.Address, ""));
    }

    [Fact]
    public async Task A_run_page_shows_its_stages_graph_scores_per_keypoint_bars_and_training()
    {
        var html = await Page($"/runs/{ui.FirstRun}");
        Assert.Contains("aria-label=\"stage graph\"", html);
        foreach (var stage in new[] { "faces", "augment", "train", "evaluate", "submission" }) Assert.Contains($">{stage}<", html);
        Assert.Contains("id=\"scores\"", html);
        Assert.Contains("class=\"bars\"", html);
        Assert.Contains("nose_tip", html);
        Assert.Contains("/files/loss.png", html);
        Assert.Contains("/files/report.html", html);
        var loss = System.Text.RegularExpressions.Regex.Match(html, "src=\"(/entries/[0-9a-f]{64}/files/loss.png)\"").Groups[1].Value;
        var png = await ui.Http.GetAsync(loss);
        Assert.Equal("image/png", png.Content.Headers.ContentType!.MediaType);
    }

    [Fact]
    public async Task Comparing_two_runs_shows_the_parameter_that_differs_and_the_score_changes()
    {
        var html = await Page($"/compare?run={ui.FirstRun}&run={ui.SecondRun}");
        Assert.Contains("<code>augment.rotations</code></td><td>[-9,9]</td><td>[-5,5]</td>", html);
        Assert.DoesNotContain("<code>train.epochs</code>", html); // same in both: not listed
        Assert.Contains("id=\"keypoint-deltas\"", html);
        Assert.Matches(@"\([+-]\d+\.\d{3}\)", html);
    }

    [Fact]
    public async Task An_entry_page_shows_its_manifest_key_material_files_rows_and_faces()
    {
        var run = await Page($"/runs/{ui.FirstRun}");
        var augment = System.Text.RegularExpressions.Regex.Match(run, "<td>augment</td><td>augment</td>.*?href=\"/entries/([0-9a-f]{64})\"").Groups[1].Value;
        var html = await Page($"/entries/{augment}");
        Assert.Contains("id=\"manifest\"", html);
        Assert.Contains("id=\"key-material\"", html);
        Assert.Contains("rotations", html);
        Assert.Contains("faces.parquet", html);
        Assert.Contains("id=\"first-rows\"", html);
        var grid = await ui.Http.GetAsync($"/entries/{augment}/grid.png?file=faces.parquet");
        Assert.Equal("image/png", grid.Content.Headers.ContentType!.MediaType);
    }

    [Fact]
    public async Task The_worst_predictions_page_lists_sixteen_faces_worst_first_with_their_picture()
    {
        var html = await Page($"/entries/{ui.EvaluateKey}/worst");
        var errors = System.Text.RegularExpressions.Regex.Matches(html, "<td class=\"num\">(\\d+\\.\\d\\d)</td>").Select(m => double.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture)).ToList();
        Assert.Equal(15, errors.Count); // the validation split of 160 faces holds 15 labelled ones
        Assert.Equal(errors.OrderDescending(), errors);
        var png = await ui.Http.GetAsync($"/entries/{ui.EvaluateKey}/worst.png?n=16");
        Assert.Equal("image/png", png.Content.Headers.ContentType!.MediaType);
        Assert.True((await png.Content.ReadAsByteArrayAsync()).Length > 1000);
    }

    [Theory]
    [InlineData("/runs/nope")]
    [InlineData("/entries/0000000000000000000000000000000000000000000000000000000000000000")]
    [InlineData("/entries/..%2F..%2Fetc")]
    [InlineData("/compare?run=nope&run=other")]
    public async Task Unknown_runs_entries_and_paths_are_not_found(string path) =>
        Assert.Equal(HttpStatusCode.NotFound, (await ui.Http.GetAsync(path)).StatusCode);

    [Fact]
    public async Task Only_an_entrys_own_files_are_served()
    {
        var html = await Page($"/runs/{ui.FirstRun}");
        var key = System.Text.RegularExpressions.Regex.Match(html, "/entries/([0-9a-f]{64})/files/loss.png").Groups[1].Value;
        Assert.Equal(HttpStatusCode.NotFound, (await ui.Http.GetAsync($"/entries/{key}/files/manifest.json.tmp")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await ui.Http.GetAsync($"/entries/{key}/files/..%2F..%2F..%2Frefs")).StatusCode);
    }

    /// <summary>The same pages in a real browser (Debian's chromium, headless): the DOM it built from each.</summary>
    private string Dom(string path) => ChromiumFactAttribute.DumpDom(new Uri(new Uri(ui.Address), path).AbsoluteUri);

    [ChromiumFact]
    public void In_a_browser_a_user_finds_the_best_run_compares_it_and_sees_the_worst_faces()
    {
        // Each step follows what the browser's page offers: links and the compare form's boxes.
        var home = Dom("/");
        Assert.Contains("id=\"runs\"", home);
        var bestRow = System.Text.RegularExpressions.Regex.Match(home, "<tr>(?:(?!</tr>).)*\\(best\\)(?:(?!</tr>).)*</tr>", System.Text.RegularExpressions.RegexOptions.Singleline).Value;
        var bestRun = System.Text.RegularExpressions.Regex.Match(bestRow, "href=\"(/runs/[^\"]+)\"").Groups[1].Value;
        Assert.NotEqual("", bestRun);

        var run = Dom(bestRun);
        Assert.Contains("id=\"stages\"", run);
        Assert.Contains("<svg class=\"graph\"", run);
        Assert.Contains("id=\"scores\"", run);

        var boxes = System.Text.RegularExpressions.Regex.Matches(home, "name=\"run\" value=\"([^\"]+)\"").Select(m => m.Groups[1].Value).ToList();
        Assert.Equal([ui.SecondRun, ui.FirstRun], boxes);
        var compare = Dom("/compare?" + string.Join("&", boxes.Select(b => "run=" + b)));
        Assert.Contains("augment.rotations", compare); // the one augmentation parameter the runs differ in
        Assert.Contains("id=\"keypoint-deltas\"", compare);

        var worstLink = System.Text.RegularExpressions.Regex.Match(run, "href=\"(/entries/[0-9a-f]{64}/worst)\"").Groups[1].Value;
        var worst = Dom(worstLink);
        Assert.Contains("id=\"worst\"", worst);
        Assert.Contains("worst.png?n=16", worst);
    }
}
