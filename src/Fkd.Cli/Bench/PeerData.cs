using System.Buffers.Binary;
using System.Text.Json.Nodes;
using Fkd.Stages.Faces;
using Fkd.Stages.Train;

namespace Fkd.Cli.Bench;

/// <summary>
/// Training sets as raw files for a Python peer (bench/peers/torch_accuracy.py), in one folder: per set
/// <c>NAME.pixels</c>, the images as uint8, 9,216 bytes each, row-major 96×96 (the records of a <see cref="PixelFile"/>),
/// and <c>NAME.targets</c>, little-endian float32, outputs values an image, normalised as the trainer takes them,
/// (y − 48)/48, NaN = missing; and <c>peer-data.json</c> naming them. The sets are made by the trainer's own code
/// (<see cref="TrainingData"/>), so they hold the rows, in the order and with the values, our training saw.
/// </summary>
public static class PeerData
{
    public const string Format = "fkd-peer-data-1";
    public const string MetaFile = "peer-data.json";

    /// <summary>A set written to the folder: its name and how many images it holds.</summary>
    public sealed record Written(string Name, int Rows);

    public static string PixelsFile(string name) => name + ".pixels";
    public static string TargetsFile(string name) => name + ".targets";

    /// <summary>
    /// The training set the train stage makes from the face table <paramref name="table"/> with these parameters
    /// (<see cref="TrainingData.ToFileSetAsync"/>: its pixel file is the set's pixels file).
    /// </summary>
    public static async Task<Written> WriteTableAsync(string table, TrainParams o, string dir, string name, CancellationToken ct)
    {
        var set = await TrainingData.ToFileSetAsync(table, o.Targets, o.HoldoutFold, Path.Combine(dir, PixelsFile(name)), ct);
        using (set.File) WriteTargets(set.Targets, Path.Combine(dir, TargetsFile(name)));
        return new Written(name, set.Count);
    }

    /// <summary>A set in memory (or file-backed), image by image.</summary>
    public static Written Write(TrainingSet set, string dir, string name)
    {
        var image = new byte[TrainingSet.PixelsPerImage];
        using (var w = new PixelFile.Writer(Path.Combine(dir, PixelsFile(name))))
            for (var i = 0; i < set.Count; i++)
            {
                set.CopyImage(i, image);
                w.Add(image);
            }
        WriteTargets(set.Targets, Path.Combine(dir, TargetsFile(name)));
        return new Written(name, set.Count);
    }

    /// <summary>A set as <see cref="Write"/> left it, images in memory; <paramref name="outputs"/> targets an image.</summary>
    public static TrainingSet Read(string dir, string name, int outputs)
    {
        var pixels = File.ReadAllBytes(Path.Combine(dir, PixelsFile(name)));
        var bytes = File.ReadAllBytes(Path.Combine(dir, TargetsFile(name)));
        if (pixels.Length % TrainingSet.PixelsPerImage != 0 || bytes.Length % 4 != 0)
            throw new InvalidDataException($"{name}: {pixels.Length:N0} pixel bytes and {bytes.Length:N0} target bytes are not whole images and floats");
        var count = pixels.Length / TrainingSet.PixelsPerImage;
        var targets = new float[bytes.Length / 4];
        for (var i = 0; i < targets.Length; i++) targets[i] = BinaryPrimitives.ReadSingleLittleEndian(bytes.AsSpan(4 * i));
        if (targets.Length != (long)count * outputs)
            throw new InvalidDataException($"{name}: {targets.Length:N0} targets for {count:N0} images of {outputs} outputs");
        return new TrainingSet(count, pixels, targets);
    }

    private static void WriteTargets(float[] targets, string path)
    {
        var bytes = new byte[targets.Length * 4];
        for (var i = 0; i < targets.Length; i++) BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(4 * i), targets[i]);
        File.WriteAllBytes(path, bytes);
    }

    /// <summary>
    /// peer-data.json: the sets' files and sizes, the layout (outputs an image, image side, centre of the
    /// normalisation, the x a horizontal flip maps 0 to), <paramref name="flipMap"/> (for each output keypoint slot, the
    /// slot of the same keypoint in the prediction for the mirrored image; null: no flip TTA) and the recipe.
    /// </summary>
    public static JsonObject Meta(IEnumerable<Written> sets, int outputs, int[]? flipMap, JsonObject recipe) => new()
    {
        ["format"] = Format,
        ["outputs"] = outputs,
        ["side"] = Keypoints.ImageSide,
        ["centre"] = (double)Fkd.Stages.Torch.ModelInputs.Centre,
        ["mirror_x"] = Keypoints.ImageSide - 1,
        ["flip_map"] = flipMap is null ? null : new JsonArray([.. flipMap.Select(k => (JsonNode)k)]),
        ["sets"] = new JsonObject([.. sets.Select(s => KeyValuePair.Create(s.Name, (JsonNode?)new JsonObject
        {
            ["rows"] = s.Rows, ["pixels"] = PixelsFile(s.Name), ["targets"] = TargetsFile(s.Name),
        }))]),
        ["recipe"] = recipe.DeepClone(),
    };
}
