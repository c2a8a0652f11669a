using Fkd.Stages.Torch;

namespace Fkd.Stages.Tests.Torch;

/// <summary>Shift TTA: the answers on moved copies of an image, moved back and averaged with the image's own.</summary>
[Collection(TorchCollection.Name)]
public sealed class ShiftTtaTests : IDisposable
{
    private static readonly ModelOptions Options = new(0.1);
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Theory]
    // (dx, dy), a destination pixel, the source pixel it takes (edges repeated where the source is outside)
    [InlineData(3, -2, 13, 18, 10, 20)]
    [InlineData(3, 0, 0, 5, 0, 5)]       // the gap on the left repeats column 0
    [InlineData(-4, 0, 95, 7, 95, 7)]    // the gap on the right repeats column 95
    [InlineData(0, 2, 9, 1, 9, 0)]       // the gap at the top repeats row 0
    [InlineData(0, -2, 9, 94, 9, 95)]    // the gap at the bottom repeats row 95
    [InlineData(0, 0, 40, 41, 40, 41)]
    public void Shift_moves_the_image_and_repeats_its_edges(int dx, int dy, int x, int y, int fromX, int fromY)
    {
        var image = new float[2 * 9216];
        for (var i = 0; i < image.Length; i++) image[i] = i;   // every pixel of both images its own value
        var moved = new float[image.Length];
        Predictor.Shift(image, moved, 2, dx, dy);
        for (var n = 0; n < 2; n++)
            Assert.Equal(image[n * 9216 + fromY * 96 + fromX], moved[n * 9216 + y * 96 + x]);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Predictions_are_the_mean_of_the_moved_copies_answers_moved_back(bool flip)
    {
        TorchRuntime.PrepareProcess();
        var file = _dir.File("cnn-small.bin");
        using (var model = ModelFactory.Create("cnn-small", 30, Options)) model.save(file);
        const int count = 3, s = 2;
        var pixels = new float[count * 9216];
        var rng = new Random(5);
        for (var i = 0; i < pixels.Length; i++) pixels[i] = (float)rng.NextDouble();

        var tta = Predictor.Predict(file, "cnn-small", 30, pixels, count, flip, Options, TorchDevice.Cpu, threads: 1, shiftTta: s);

        var expected = new double[count * 30];
        (int, int)[] moves = [(0, 0), (s, 0), (-s, 0), (0, s), (0, -s)];
        foreach (var (dx, dy) in moves)
        {
            var moved = new float[pixels.Length];
            Predictor.Shift(pixels, moved, count, dx, dy);
            var answer = Predictor.Predict(file, "cnn-small", 30, moved, count, flip, Options, TorchDevice.Cpu, threads: 1);
            for (var i = 0; i < answer.Length; i++) expected[i] += (answer[i] - (i % 2 == 0 ? dx : dy)) / moves.Length;
        }
        for (var i = 0; i < tta.Length; i++) Assert.Equal(expected[i], tta[i], 1e-3);
        // And it is not the image's own answer: the moved copies count.
        var plain = Predictor.Predict(file, "cnn-small", 30, pixels, count, flip, Options, TorchDevice.Cpu, threads: 1);
        Assert.NotEqual(plain, tta);
    }
}
