// Training throughput on synthetic 96x96 images: Fkd.Torch.Bench [model] [batch] [threads] [images] [epochs]
using System.Diagnostics;
using Fkd.Stages.Torch;
using Fkd.Stages.Training;

var model = args.Length > 0 ? args[0] : "cnn-small";
var batch = args.Length > 1 ? int.Parse(args[1]) : 64;
var threads = args.Length > 2 ? int.Parse(args[2]) : 2;
var images = args.Length > 3 ? int.Parse(args[3]) : 2048;
var epochs = args.Length > 4 ? int.Parse(args[4]) : 2;

TorchRuntime.EnsureInitialized(threads);
var rng = new Random(1);
var pixels = new float[images * 9216];
var targets = new float[images * 30];
for (var i = 0; i < pixels.Length; i++) pixels[i] = (float)rng.NextDouble();
for (var i = 0; i < targets.Length; i++) targets[i] = (float)(rng.NextDouble() * 2 - 1);
var set = new TrainingSet(images, pixels, targets);
var dir = Path.Combine(Path.GetTempPath(), "fkd-bench-" + Guid.NewGuid().ToString("N"));
var o = new TrainOptions(Model: model, Epochs: epochs, BatchSize: batch, Threads: threads, Device: "cpu");
var sw = Stopwatch.StartNew();
try
{
    var r = Trainer.Train(set, null, o, dir, m =>
        Console.WriteLine($"{model} batch={batch} threads={threads} epoch={m.Epoch} loss={m.TrainLoss:F4} {m.Seconds:F1}s {m.ImagesPerSecond:F0} img/s"),
        CancellationToken.None);
    using var net = ModelFactory.Create(model, 30, o.ModelOptions);
    Console.WriteLine($"{model}: params={ModelFactory.ParameterCount(net):N0} total={sw.Elapsed.TotalSeconds:F1}s facts={TorchRuntime.VersionFacts}");
}
finally { Directory.Delete(dir, true); }
