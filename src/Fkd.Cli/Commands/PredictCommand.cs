using System.CommandLine;
using System.Text.Json.Nodes;
using Fkd.Stages.Faces;
using SkiaSharp;
using Fkd.Stages.Drawing;
using Fkd.Stages.Predict;

namespace Fkd.Cli.Commands;

/// <summary>
/// <c>predict</c>: keypoints for a photo. The photo is made grayscale (luma), its largest centred square
/// cropped out and resized to 96x96 (see <see cref="PhotoCrop"/> for the coordinate mapping), the run's model
/// predicts, and the keypoints are mapped back to the photo's pixel coordinates. Writes
/// <c>NAME.keypoints.json</c> and <c>NAME.keypoints.png</c> (the photo with the points and the crop square drawn).
/// </summary>
public static class PredictCommand
{
    public static Command Create()
    {
        var run = new Option<string>("--run") { Description = "run id (or unique prefix) or 'latest'", DefaultValueFactory = _ => "latest" };
        var image = new Option<string>("--image") { Description = "a photo (PNG, JPEG, WebP...) of a face, roughly centred", Required = true };
        var outDir = new Option<string?>("--out") { Description = "folder for NAME.keypoints.json and NAME.keypoints.png (default: beside the image)" };
        var stage = new Option<string?>("--stage") { Description = "the train stage to use when the run has several" };
        var json = Common.JsonOption();
        var cmd = new Command("predict", "keypoints for a photo: centre-cropped, resized to 96x96; JSON + annotated PNG") { run, image, outDir, stage, json };
        cmd.SetAction(pr =>
        {
            var store = Common.Store(pr);
            var path = pr.GetValue(image)!;
            if (!File.Exists(path)) throw new UsageException($"no file '{path}'");
            var model = ModelLoader.Load(store, pr.GetValue(run)!, pr.GetValue(stage));
            using var photo = SKBitmap.Decode(path) ?? throw new InvalidDataException($"{path}: not an image SkiaSharp can decode");
            var crop = PhotoCrop.For(photo.Width, photo.Height);
            var face = crop.Apply(PhotoCrop.Luma(photo));
            var row = new FaceRow(0, 0, ImageHash.HexOf(face), face, Face.MissingCoords(), FaceRow.NoTags);
            var coords = PredictStage.Run(model.ModelFile, model.Info, [row])[0].Coords;
            var points = MapBack(crop, coords);

            var dir = pr.GetValue(outDir) ?? Path.GetDirectoryName(Path.GetFullPath(path))!;
            Directory.CreateDirectory(dir);
            var name = Path.GetFileNameWithoutExtension(path);
            var jsonPath = Path.Combine(dir, name + ".keypoints.json");
            var pngPath = Path.Combine(dir, name + ".keypoints.png");
            var obj = ToJson(path, crop, points);
            File.WriteAllText(jsonPath, obj.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true }) + "\n");
            using (var annotated = Annotate(photo, crop, points)) FaceImages.SavePng(annotated, pngPath);

            if (pr.GetValue(json)) { Common.PrintJson(obj); return ExitCodes.Ok; }
            var o = System.Console.Out;
            o.WriteLine($"{path}: {crop.Width}x{crop.Height}, crop {crop.Side}x{crop.Side} at ({crop.OffsetX}, {crop.OffsetY}), model {model.Info.Model} of run {model.Run.Id}");
            for (var k = 0; k < Keypoints.Count; k++)
                o.WriteLine(points[k] is { } p ? $"  {Keypoints.Names[k],-26} {p.X,8:F1} {p.Y,8:F1}" : $"  {Keypoints.Names[k],-26} {"-",8} {"-",8}");
            o.WriteLine(jsonPath);
            o.WriteLine(pngPath);
            return ExitCodes.Ok;
        });
        return cmd;
    }

    /// <summary>Predicted 96x96 coordinates to photo pixel coordinates; null where the model gives none.</summary>
    public static (double X, double Y)?[] MapBack(PhotoCrop crop, float[] coords) =>
        [.. Enumerable.Range(0, Keypoints.Count).Select(k =>
            float.IsNaN(coords[2 * k]) || float.IsNaN(coords[2 * k + 1]) ? ((double, double)?)null : crop.ToPhoto(coords[2 * k], coords[2 * k + 1]))];

    public static JsonObject ToJson(string image, PhotoCrop crop, (double X, double Y)?[] points)
    {
        var kp = new JsonObject();
        for (var k = 0; k < Keypoints.Count; k++)
            kp[Keypoints.Names[k]] = points[k] is { } p ? new JsonArray(Math.Round(p.X, 2), Math.Round(p.Y, 2)) : null;
        return new JsonObject { ["image"] = image, ["width"] = crop.Width, ["height"] = crop.Height, ["keypoints"] = kp };
    }

    /// <summary>The photo in colour with the crop square (grey) and the keypoints (coloured by side) drawn on it.</summary>
    public static SKBitmap Annotate(SKBitmap photo, PhotoCrop crop, (double X, double Y)?[] points)
    {
        var bmp = new SKBitmap(new SKImageInfo(photo.Width, photo.Height, SKColorType.Rgba8888, SKAlphaType.Premul));
        using (var canvas = new SKCanvas(bmp))
        {
            canvas.Clear(SKColors.Black);
            canvas.DrawBitmap(photo, 0, 0);
        }
        var t = Math.Max(1, crop.Side / 300);
        FaceImages.DrawRectangle(bmp, crop.OffsetX, crop.OffsetY, crop.OffsetX + crop.Side - 1, crop.OffsetY + crop.Side - 1, new SKColor(160, 160, 160), t);
        var radius = Math.Max(1.5, crop.Side / 120.0);
        for (var k = 0; k < Keypoints.Count; k++)
            if (points[k] is { } p) FaceImages.DrawKeypoint(bmp, p.X, p.Y, radius, FaceImages.ColourOf(k));
        return bmp;
    }
}
