using System.Diagnostics;
using System.Text.RegularExpressions;
using System.Xml;
using Fkd.Stages.Faces;
using Fkd.Stages.Report;
using Xunit.Abstractions;
using Fkd.Stages.Source;
using Fkd.Stages.Outliers;

namespace Fkd.Stages.Tests.Report;

public sealed class ReportFixture : IDisposable
{
    public string Dir { get; } = Path.Combine(Path.GetTempPath(), "fkd-report-" + Guid.NewGuid().ToString("N")[..8]);
    public string HtmlPath => Path.Combine(Dir, "report.html");
    public string Html { get; }
    public ReportSummary Summary { get; }
    public SyntheticDataset Data { get; }

    public ReportFixture()
    {
        Directory.CreateDirectory(Dir);
        Data = SyntheticFaces.Generate(new SyntheticOptions(TrainRows: 300, TestRows: 80, Seed: 3, DuplicateGroups: 4, WrongLabels: 6, BlankImages: 1));
        var train = ReportStreamTests.Rows(Data.Train);
        var test = ReportStreamTests.Rows(Data.Test);
        var checks = OutlierScoring.Score(train.Select(r => r.Coords).ToArray(), new OutlierParams());
        var review = train.Select((r, i) => new ReviewEntry(r.Id, r.Hash, checks[i].Score, checks[i].Flagged, checks[i].Reasons)).ToArray();
        // Through the stage's streaming path, in row groups of 64.
        string trainPath = Path.Combine(Dir, "train.parquet"), testPath = Path.Combine(Dir, "test.parquet");
        FaceTable.WriteAsync(trainPath, train, new Dictionary<string, string>(), rowGroupSize: 64).GetAwaiter().GetResult();
        FaceTable.WriteAsync(testPath, test, new Dictionary<string, string>(), rowGroupSize: 64).GetAwaiter().GetResult();
        var run = ReportStream.RunAsync(trainPath, testPath, null, review, new ReportParams(), CancellationToken.None).GetAwaiter().GetResult();
        (Html, Summary) = (run.Html, run.Summary);
        File.WriteAllText(HtmlPath, Html);
    }

    public void Dispose()
    {
        try { Directory.Delete(Dir, recursive: true); } catch (IOException) { }
    }
}

public class ReportTests(ReportFixture fx, ITestOutputHelper output) : IClassFixture<ReportFixture>
{
    [Fact]
    public void Report_is_well_formed_xhtml_with_every_section()
    {
        // Well-formed as XML once the HTML5 doctype line is taken off.
        var doc = new XmlDocument();
        doc.LoadXml(Regex.Replace(fx.Html, "^<!DOCTYPE html>", ""));
        var ns = new XmlNamespaceManager(doc.NameTable);
        ns.AddNamespace("h", "http://www.w3.org/1999/xhtml");
        foreach (var id in ReportBuilder.SectionIds)
            Assert.NotNull(doc.SelectSingleNode($"//h:section[@id='{id}']", ns));
        Assert.Empty(doc.SelectNodes("//h:script|//h:link|//h:iframe", ns)!.Cast<XmlNode>());
    }

    [Fact]
    public void Every_image_is_an_embedded_decodable_png()
    {
        var imgs = Regex.Matches(fx.Html, "<img [^>]*src=\"([^\"]*)\"").Select(m => m.Groups[1].Value).ToArray();
        Assert.True(imgs.Length >= 10, $"only {imgs.Length} images");
        foreach (var src in imgs)
        {
            Assert.StartsWith("data:image/png;base64,", src);
            var bytes = Convert.FromBase64String(src["data:image/png;base64,".Length..]);
            using var bmp = SkiaSharp.SKBitmap.Decode(bytes);
            Assert.NotNull(bmp);
            Assert.True(bmp.Width > 10 && bmp.Height > 10);
        }
        // Nothing fetched from outside the file.
        Assert.DoesNotMatch("(src|href)=\"(http|//|file:)", fx.Html);
    }

    [Fact]
    public void Summary_matches_the_planted_traits()
    {
        var p = fx.Data.Planted;
        Assert.Equal(300, fx.Summary.TrainRows);
        Assert.Equal(80, fx.Summary.TestRows);
        Assert.Equal(p.DuplicateGroupCount, fx.Summary.DuplicateGroups);
        Assert.Equal(p.PartialCount, fx.Summary.FourRows);
        Assert.Equal(300 - p.PartialCount, fx.Summary.FullRows);
        Assert.True(fx.Summary.FlaggedRows >= 4, $"{fx.Summary.FlaggedRows} flagged");
        // Train and test come from one generator: the adversarial classifier should not tell them apart.
        Assert.InRange(fx.Summary.AdversarialAuc, 0.3, 0.7);
    }

    [Fact]
    public void Auc_of_separable_and_identical_scores()
    {
        Assert.Equal(1.0, Adversarial.Auc([0.1, 0.2, 0.8, 0.9], [false, false, true, true]));
        Assert.Equal(0.5, Adversarial.Auc([0.5, 0.5, 0.5, 0.5], [false, true, false, true]));
        // Two clearly different clouds are told apart.
        var rng = new Random(2);
        var xs = Enumerable.Range(0, 200).Select(i => new[] { rng.NextDouble() + (i >= 100 ? 1.5 : 0), rng.NextDouble() }).ToArray();
        var auc = Adversarial.CrossValidatedAuc(xs, Enumerable.Range(0, 200).Select(i => i >= 100).ToArray(), 5, 1);
        Assert.True(auc > 0.95, $"AUC {auc}");
    }

    [Fact]
    public void Pca_finds_the_dominant_direction()
    {
        var rng = new Random(4);
        var rows = Enumerable.Range(0, 500).Select(_ => { var t = rng.NextDouble() * 10; return new[] { t, 2 * t + 0.01 * rng.NextDouble(), 0.01 * rng.NextDouble() }; }).ToArray();
        var pca = Pca.Fit(rows, 2);
        var c = pca.Components[0];
        Assert.Equal(1 / Math.Sqrt(5), Math.Abs(c[0]), 2);
        Assert.Equal(2 / Math.Sqrt(5), Math.Abs(c[1]), 2);
        Assert.True(pca.Variances[0] / pca.TotalVariance > 0.99);
    }

    [ChromiumFact]
    public void Report_renders_in_headless_chromium()
    {
        const string chromium = ChromiumFactAttribute.Path;
        var profile = Path.Combine(fx.Dir, "profile");
        var shot = Path.Combine(fx.Dir, "shot.png");
        var psi = new ProcessStartInfo(chromium)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var a in new[] { "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                     "--disable-sync", "--no-first-run", $"--user-data-dir={profile}", $"--screenshot={shot}", "--window-size=1200,3000",
                     new Uri(fx.HtmlPath).AbsoluteUri })
            psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var err = p.StandardError.ReadToEndAsync();
        _ = p.StandardOutput.ReadToEndAsync();
        if (!p.WaitForExit(120_000)) { p.Kill(entireProcessTree: true); Assert.Fail("chromium did not finish in 120 s"); }
        Assert.True(File.Exists(shot), "no screenshot; chromium said: " + err.Result);
        using var bmp = SkiaSharp.SKBitmap.Decode(shot);
        Assert.Equal(1200, bmp.Width);
        output.WriteLine($"screenshot {shot}: {bmp.Width}x{bmp.Height}");
        var keep = Environment.GetEnvironmentVariable("FKD_REPORT_SHOT");
        if (!string.IsNullOrEmpty(keep)) File.Copy(shot, keep, overwrite: true);
    }
}
