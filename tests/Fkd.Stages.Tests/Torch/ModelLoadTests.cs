using Fkd.Stages.Torch;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Fkd.Stages.Tests.Torch;

/// <summary>
/// A model file that is not ours, or is truncated, fails to load with a clear error: an
/// <see cref="InvalidDataException"/> naming the file and the model expected, TorchSharp's reason kept inside.
/// (TorchSharp itself throws ArgumentException / EndOfStreamException / FormatException without the path.)
/// </summary>
[Collection(TorchCollection.Name)]
public sealed class ModelLoadTests(ITestOutputHelper output) : IDisposable
{
    private static readonly ModelOptions Options = new(0.1);
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void A_saved_model_loads_and_predicts()
    {
        TorchRuntime.PrepareProcess();
        var file = _dir.File("mlp-30.bin");
        const int count = 3;
        var pixels = Pixels(count);
        float[] direct;
        using (var model = ModelFactory.Create("mlp", 30, Options))
        {
            model.save(file);
            model.eval();
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            direct = model.forward(tensor(pixels, [count, 1, 96, 96])).data<float>().ToArray();
        }
        var y = Predictor.Predict(file, "mlp", 30, pixels, count, flipTta: false, Options, TorchDevice.Cpu, threads: 1);
        Assert.Equal(count * 30, y.Length);
        // The file's weights were loaded: the answer is the saved model's, not a freshly initialised one's.
        for (var i = 0; i < y.Length; i++) Assert.Equal(direct[i] * 48f + 48f, y[i], 0.01f);
        Assert.All(Predict(file, "mlp", 30, count), v => Assert.True(float.IsFinite(v)));  // with flip TTA too
    }

    [Theory]
    [InlineData(0.5)]       // mid-way through fc1.weight
    [InlineData(0.0001)]    // inside the first tensor's header
    [InlineData(0.999999)]  // a few bytes short of the end
    public void A_truncated_file_fails_with_the_path(double keep)
    {
        var good = File.ReadAllBytes(Save("mlp", 30));
        var file = _dir.File($"truncated-{keep}.bin");
        File.WriteAllBytes(file, good.AsSpan(0, (int)(good.Length * keep)).ToArray());
        var e = LoadFails(file, "mlp", 30);
        Assert.IsType<EndOfStreamException>(e.InnerException);
    }

    [Fact]
    public void A_file_one_byte_short_fails()
    {
        var good = File.ReadAllBytes(Save("mlp", 30));
        var file = _dir.File("short.bin");
        File.WriteAllBytes(file, good.AsSpan(0, good.Length - 1).ToArray());
        Assert.IsType<EndOfStreamException>(LoadFails(file, "mlp", 30).InnerException);
    }

    [Theory]
    [InlineData(1, 4096)]
    [InlineData(2, 1 << 20)]
    [InlineData(3, 64)]
    public void A_file_of_random_bytes_fails_with_the_path(int seed, int length)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        var file = _dir.File($"random-{seed}.bin");
        File.WriteAllBytes(file, bytes);
        LoadFails(file, "mlp", 30);
    }

    [Theory]
    [InlineData(5, typeof(FormatException))]      // a string length that runs on forever
    [InlineData(3, typeof(ArgumentException))]    // a garbage state name (binary: the message keeps only its start)
    [InlineData(1, typeof(EndOfStreamException))] // runs out of bytes
    public void Random_bytes_after_a_plausible_entry_count_fail_with_the_path(int seed, Type inner)
    {
        var bytes = new byte[4096];
        new Random(seed).NextBytes(bytes);
        bytes[0] = 4; // the mlp's state dict has 4 entries: get past TorchSharp's first check
        var file = _dir.File($"random-after-count-{seed}.bin");
        File.WriteAllBytes(file, bytes);
        var e = LoadFails(file, "mlp", 30);
        Assert.IsType(inner, e.InnerException);
        Assert.True(e.Message.Length < 600, $"message of {e.Message.Length} chars");
    }

    [Fact]
    public void A_file_of_another_architecture_fails_with_the_path()
    {
        var file = Save("lenet5", 30);
        var e = LoadFails(file, "mlp", 30);
        Assert.Contains("Mismatched state_dict sizes", e.Message);
    }

    [Fact]
    public void A_file_with_another_output_count_fails_with_the_path()
    {
        var file = Save("mlp", 8);
        var e = LoadFails(file, "mlp", 30);
        Assert.Contains("Mismatched tensor shape", e.Message);
    }

    [Fact]
    public void A_text_file_fails_with_the_path()
    {
        var file = _dir.File("training.csv");
        File.WriteAllText(file, "left_eye_center_x,Image\n66.03,1 2 3\n");
        LoadFails(file, "mlp", 30);
    }

    [Fact]
    public void An_empty_file_fails_with_the_path()
    {
        var file = _dir.File("empty.bin");
        File.WriteAllBytes(file, []);
        Assert.IsType<EndOfStreamException>(LoadFails(file, "mlp", 30).InnerException);
    }

    [Fact]
    public void A_missing_file_says_so_with_the_path()
    {
        var file = _dir.File("no-such-model.bin");
        var e = Assert.Throws<FileNotFoundException>(() => Predict(file, "mlp", 30, count: 1));
        Assert.Contains(file, e.Message);
    }

    private string Save(string name, int outputs)
    {
        TorchRuntime.PrepareProcess();
        var file = _dir.File($"{name}-{outputs}.bin");
        using var model = ModelFactory.Create(name, outputs, Options);
        model.save(file);
        return file;
    }

    private static float[] Predict(string file, string name, int outputs, int count)
    {
        TorchRuntime.PrepareProcess();
        return Predictor.Predict(file, name, outputs, Pixels(count), count, flipTta: true, Options, TorchDevice.Cpu, threads: 1);
    }

    private static float[] Pixels(int count)
    {
        var pixels = new float[count * 96 * 96];
        for (var i = 0; i < pixels.Length; i++) pixels[i] = (i * 37 % 256) / 255f;
        return pixels;
    }

    private InvalidDataException LoadFails(string file, string name, int outputs)
    {
        var e = Assert.Throws<InvalidDataException>(() => Predict(file, name, outputs, count: 1));
        output.WriteLine($"{e.Message}\n  inner: {e.InnerException?.GetType().Name}");
        Assert.StartsWith($"{file}: not a {name} model with {outputs} outputs saved by this program (", e.Message);
        Assert.NotNull(e.InnerException);
        Assert.Contains(e.InnerException!.Message.Length <= 200 ? e.InnerException.Message : e.InnerException.Message[..200], e.Message);
        return e;
    }
}
