namespace Fkd.Stages.Drawing;

/// <summary>One epoch as the loss plot draws it: the training loss (normalised units) and the validation RMSE (px) when there was one.</summary>
public readonly record struct LossPoint(int Epoch, double TrainLoss, double? ValidationRmse);

/// <summary>Training loss and validation RMSE per epoch, as a PNG (ScottPlot).</summary>
public static class LossPlot
{
    public static void Write(string path, IReadOnlyList<LossPoint> epochs, string title)
    {
        var plot = new ScottPlot.Plot();
        var xs = epochs.Select(e => (double)e.Epoch).ToArray();
        // Loss is in normalised units; show its RMSE in pixels (sqrt(loss) * 48) so both curves share an axis.
        var train = plot.Add.Scatter(xs, epochs.Select(e => Math.Sqrt(e.TrainLoss) * 48).ToArray());
        train.LegendText = "train RMSE (px, from loss)";
        var withVal = epochs.Where(e => e.ValidationRmse is not null).ToArray();
        if (withVal.Length > 0)
        {
            var val = plot.Add.Scatter(withVal.Select(e => (double)e.Epoch).ToArray(), withVal.Select(e => e.ValidationRmse!.Value).ToArray());
            val.LegendText = "validation RMSE (px)";
        }
        plot.Title(title);
        plot.XLabel("epoch");
        plot.YLabel("RMSE (px)");
        plot.ShowLegend();
        plot.SavePng(path, 800, 500);
    }
}
