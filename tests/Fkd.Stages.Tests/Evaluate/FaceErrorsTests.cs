using Fkd.Stages.Faces;
using Fkd.Stages.Evaluate;

namespace Fkd.Stages.Tests.Evaluate;

public sealed class FaceErrorsTests
{
    private static FaceRow Face(long id, params (int Coord, float Value)[] labels)
    {
        var c = Fkd.Stages.Faces.Face.MissingCoords();
        foreach (var (i, v) in labels) c[i] = v;
        return new FaceRow(id, (int)id, $"h{id}", new byte[Keypoints.PixelCount], c, FaceRow.NoTags);
    }

    private static float[] Pred(params (int Coord, float Value)[] values)
    {
        var c = Fkd.Stages.Faces.Face.MissingCoords();
        foreach (var (i, v) in values) c[i] = v;
        return c;
    }

    [Fact]
    public void Each_face_is_scored_over_the_coordinates_both_sides_have_and_ranked()
    {
        FaceRow[] truth =
        [
            Face(1, (0, 10), (1, 10)),          // off by 3 and 4: RMSE sqrt(12.5)
            Face(2, (0, 20), (1, 20), (2, 5)),  // off by 1 on both scored coordinates; coordinate 2 is not predicted
            Face(3, (0, 30)),                   // no prediction at all
            Face(4, (5, 30)),                   // labelled only where nothing is predicted: left out
            Face(5, (0, 50)),                   // exact
        ];
        var predictions = new Dictionary<long, float[]>
        {
            [1] = Pred((0, 13), (1, 14)), [2] = Pred((0, 21), (1, 19)), [4] = Pred((0, 1)), [5] = Pred((0, 50)),
        };
        var worst = FaceErrors.Rank(truth, predictions);
        Assert.Equal([1L, 2L, 5L], worst.Select(e => e.Face.Id));
        Assert.Equal(Math.Sqrt(12.5), worst[0].Rmse, 10);
        Assert.Equal((1.0, 2), (worst[1].Rmse, worst[1].Coordinates));
        Assert.Equal([5L, 2L, 1L], FaceErrors.Rank(truth, predictions, worstFirst: false).Select(e => e.Face.Id));
    }

    [Fact]
    public void Ties_are_broken_by_id_so_the_pick_is_stable()
    {
        FaceRow[] truth = [Face(9, (0, 10)), Face(3, (0, 10)), Face(6, (0, 10))];
        var predictions = truth.ToDictionary(t => t.Id, _ => Pred((0, 12)));
        Assert.Equal([3L, 6L, 9L], FaceErrors.Rank(truth, predictions).Select(e => e.Face.Id));
    }
}
