using Fkd.Cli.Commands;
using Fkd.Flow.Store;
using Fkd.Stages.Drawing;
using Fkd.Stages.Faces;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Fkd.Cli.Ui;

/// <summary>The local web app over a store: the routes of <see cref="Pages"/>, the entries' files, and face pictures drawn on request.</summary>
public static class UiServer
{
    public static WebApplication Build(ArtifactStore store, string host, int port)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls($"http://{host}:{port}");
        var app = builder.Build();

        static IResult HtmlPage(string? html) => html is null ? Results.NotFound("no such run or entry") : Results.Content(html, "text/html; charset=utf-8");

        app.MapGet("/", () => HtmlPage(Pages.Runs(store)));
        app.MapGet("/runs/{id}", async (string id, CancellationToken ct) => HtmlPage(await Pages.Run(store, id, ct)));
        app.MapGet("/compare", async (HttpRequest req, CancellationToken ct) =>
        {
            try { return HtmlPage(await Pages.Compare(store, [.. req.Query["run"].OfType<string>()], ct)); }
            catch (KeyNotFoundException e) { return Results.NotFound(e.Message); }
        });
        app.MapGet("/entries/{key}", async (string key, CancellationToken ct) => StoreNames.IsKey(key) ? HtmlPage(await Pages.Entry(store, key, ct)) : Results.NotFound());
        app.MapGet("/entries/{key}/worst", async (string key, int? n, CancellationToken ct) =>
            StoreNames.IsKey(key) ? HtmlPage(await Pages.Worst(store, key, Math.Clamp(n ?? 16, 1, 200), ct)) : Results.NotFound());
        app.MapGet("/entries/{key}/files/{name}", (string key, string name) =>
        {
            if (!StoreNames.IsKey(key) || store.EntryManifest(key).Case is not Manifest m || m.Files.All(f => f.Name != name)) return Results.NotFound();
            return Results.File(Path.Combine(store.EntryPath(key), name), ContentType(name));
        });
        app.MapGet("/entries/{key}/grid.png", async (string key, string? file, CancellationToken ct) =>
        {
            if (!StoreNames.IsKey(key) || store.EntryManifest(key).Case is not Manifest m) return Results.NotFound();
            var name = file ?? m.Files.Select(f => f.Name).FirstOrDefault(f => f.EndsWith(".parquet", StringComparison.Ordinal));
            if (name is null || m.Files.All(f => f.Name != name)) return Results.NotFound();
            var rows = (await FaceTable.ReadAsync(Path.Combine(store.EntryPath(key), name), ct)).Take(16).ToList();
            return Png(FaceImages.RenderGrid(rows, null, 2));
        });
        app.MapGet("/entries/{key}/worst.png", async (string key, int? n, CancellationToken ct) =>
        {
            if (!StoreNames.IsKey(key) || store.EntryManifest(key).Case is not Manifest m) return Results.NotFound();
            var (ranked, predictions, _) = await ScoredFaces.LoadAsync(store, m, null, worstFirst: true, ct);
            var shown = ranked.Take(Math.Clamp(n ?? 16, 1, 200)).ToList();
            var captions = shown.ToDictionary(e => e.Face.Id, e => string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{e.Face.Id} {e.Rmse:F1}px"));
            return Png(FaceImages.RenderGrid([.. shown.Select(e => e.Face)], predictions, 2, 0, captions));
        });
        return app;
    }

    /// <summary>The address the server listens on (the port chosen by the OS when 0 was asked for).</summary>
    public static string Address(WebApplication app) =>
        app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();

    private static IResult Png(SkiaSharp.SKBitmap bmp)
    {
        using (bmp)
        {
            using var data = bmp.Encode(SkiaSharp.SKEncodedImageFormat.Png, 100);
            return Results.Bytes(data.ToArray(), "image/png");
        }
    }

    private static string ContentType(string name) => Path.GetExtension(name).ToLowerInvariant() switch
    {
        ".png" => "image/png",
        ".html" => "text/html; charset=utf-8",
        ".csv" => "text/csv; charset=utf-8",
        ".json" => "application/json",
        _ => "application/octet-stream",
    };
}
