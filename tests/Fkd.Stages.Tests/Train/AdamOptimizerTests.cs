using Fkd.Stages.Tests.Torch;
using Fkd.Stages.Torch;
using Fkd.Stages.Train;
using TorchSharp;
using static TorchSharp.torch;

namespace Fkd.Stages.Tests.Train;

[Collection(TorchCollection.Name)]
public sealed class AdamOptimizerTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("fkd-adam-").FullName;

    public void Dispose()
    {
        try { Directory.Delete(_dir, true); } catch (IOException) { }
    }

    /// <summary>A small model, its weights from the seed, trained a few steps on fixed random batches.</summary>
    private static nn.Module<Tensor, Tensor> Model()
    {
        random.manual_seed(3);
        return ModelFactory.Create("cnn-small", 30, new ModelOptions(0));
    }

    private static void Steps(nn.Module<Tensor, Tensor> model, Action step, Action<double> setLr, int steps)
    {
        random.manual_seed(9);
        for (var s = 0; s < steps; s++)
        {
            using var scope = NewDisposeScope();
            setLr(1e-3 * (1 + s));
            var x = rand(8, 1, 96, 96);
            var y = rand(8, 30) - 0.5;
            model.zero_grad();
            MaskedLoss.Mse(model.forward(x), y).backward();
            step();
        }
    }

    private static float[][] Weights(nn.Module<Tensor, Tensor> model) => [.. model.parameters().Select(p => p.data<float>().ToArray())];

    [Theory]
    [InlineData(0.0)]
    [InlineData(1e-4)]
    public void It_updates_exactly_as_TorchSharps_adam(double weightDecay)
    {
        using var gate = TorchGate.Enter(1);
        using var theirsModel = Model();
        using var theirs = optim.Adam(theirsModel.parameters(), 1e-3, 0.9, 0.999, 1e-8, weightDecay);
        Steps(theirsModel, () => theirs.step(), lr => { foreach (var g in theirs.ParamGroups) g.LearningRate = lr; }, 4);

        using var oursModel = Model();
        using var ours = new AdamOptimizer(oursModel.parameters(), 1e-3, 0.9, 0.999, 1e-8, weightDecay);
        Steps(oursModel, ours.Step, lr => ours.LearningRate = lr, 4);

        var (a, b) = (Weights(theirsModel), Weights(oursModel));
        Assert.Equal(a.Length, b.Length);
        for (var i = 0; i < a.Length; i++) Assert.Equal(a[i], b[i]); // bit for bit
        Assert.NotEqual(Weights(Model())[0], b[0]);                  // and the steps did move the weights
    }

    [Fact]
    public void Saved_state_resumes_the_same_updates()
    {
        using var gate = TorchGate.Enter(1);
        using var straightModel = Model();
        using var straight = new AdamOptimizer(straightModel.parameters(), 1e-3, 0.9, 0.999, 1e-8, 0);
        Steps(straightModel, straight.Step, _ => { }, 3);
        var path = Path.Combine(_dir, "state.adam");
        straight.Save(path);
        Steps(straightModel, straight.Step, _ => { }, 2);

        using var resumedModel = Model();
        using (var first = new AdamOptimizer(resumedModel.parameters(), 1e-3, 0.9, 0.999, 1e-8, 0))
            Steps(resumedModel, first.Step, _ => { }, 3);
        using var resumed = new AdamOptimizer(resumedModel.parameters(), 1e-3, 0.9, 0.999, 1e-8, 0);
        resumed.Load(path);
        Steps(resumedModel, resumed.Step, _ => { }, 2);

        var (a, b) = (Weights(straightModel), Weights(resumedModel));
        for (var i = 0; i < a.Length; i++) Assert.Equal(a[i], b[i]);
    }

    [Fact]
    public void A_file_it_did_not_write_is_refused()
    {
        var path = Path.Combine(_dir, "other.optim");
        File.WriteAllBytes(path, [1, 2, 3, 4, 5, 6, 7, 8]);
        using var model = Model();
        using var adam = new AdamOptimizer(model.parameters(), 1e-3, 0.9, 0.999, 1e-8, 0);
        Assert.ThrowsAny<Exception>(() => adam.Load(path));
    }
}
