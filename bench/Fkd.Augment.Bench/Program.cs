using System.Diagnostics;
using Fkd.Stages.Augment;
using Fkd.Stages.Faces;

// Images/s for a recipe: every variant of the recipe applied to every face (one output image each).
var seconds = args.Length > 0 ? double.Parse(args[0], System.Globalization.CultureInfo.InvariantCulture) : 3.0;
var faces = Enumerable.Range(0, 256).Select(MakeFace).ToArray();

Measure("default (flip x rotations x brightness, bilinear)", AugmentSpec.Default);
Measure("default, bicubic", AugmentSpec.Default with { Interpolation = "bicubic" });
Measure("rotation only, bilinear", new AugmentSpec(Rotations: [-13, -9, -5, 5, 9, 13], IncludeOriginal: false));
Measure("2nd-place list (single), bicubic, incl. elastic/CLAHE/noise", AugmentSpec.SecondPlace with { OutOfImage = "mark-missing" });

void Measure(string label, AugmentSpec spec)
{
    var plans = Recipe.Variants(spec);
    var jobs = faces.Length * plans.Length;
    void One(int j) => Augmenter.Apply(faces[j % faces.Length], (UInt128)(j % faces.Length), plans[j / faces.Length], 1);
    for (var j = 0; j < Math.Min(jobs, 2000); j++) One(j); // warm-up / tiering
    Parallel.For(0, Math.Min(jobs, 2000), One);

    (double Wall, double Cpu) Rate(bool parallel)
    {
        long done = 0; var sw = Stopwatch.StartNew();
        var cpu0 = Process.GetCurrentProcess().TotalProcessorTime;
        while (sw.Elapsed.TotalSeconds < seconds)
        {
            if (parallel) Parallel.For(0, jobs, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount }, One);
            else for (var j = 0; j < jobs; j++) One(j);
            done += jobs;
        }
        var cpu = (Process.GetCurrentProcess().TotalProcessorTime - cpu0).TotalSeconds;
        return (done / sw.Elapsed.TotalSeconds, done / cpu);
    }
    var single = Rate(false);
    var multi = Rate(true);
    // Wall-clock rates suffer when other processes share the cores; images per CPU-second do not.
    Console.WriteLine($"{label}: {plans.Length} variants/face\n  1 thread: {single.Wall:N0} images/s wall, {single.Cpu:N0} images per CPU-second\n" +
        $"  Parallel.For on {Environment.ProcessorCount} cores: {multi.Wall:N0} images/s wall, {multi.Cpu:N0} images per CPU-second (load avg {File.ReadAllText("/proc/loadavg").Split(' ')[0]})");
}

static Face MakeFace(int seed)
{
    var r = new Random(seed);
    var px = new byte[Keypoints.PixelCount];
    for (var j = 0; j < 96; j++)
        for (var i = 0; i < 96; i++)
            px[j * 96 + i] = (byte)Math.Clamp(128 + 60 * Math.Sin(i / 9.0 + seed) * Math.Cos(j / 7.0) + r.Next(-20, 20), 0, 255);
    var c = new float[Keypoints.CoordCount];
    for (var k = 0; k < c.Length; k++) c[k] = 25 + (float)r.NextDouble() * 46;
    return new Face(seed, px, c);
}
