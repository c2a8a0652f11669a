namespace Fkd.Stages.Faces;

/// <summary>
/// One 96x96 grayscale face and its keypoints. <see cref="Pixels"/> is 9,216 bytes, row-major.
/// <see cref="Coords"/> is 30 floats in Kaggle column order (x, y per keypoint); NaN = missing.
/// Arrays are treated as immutable once a Face is built.
/// </summary>
public sealed record Face(long Id, byte[] Pixels, float[] Coords)
{
    public bool HasAll => Array.TrueForAll(Coords, c => !float.IsNaN(c));
    public int LabelledKeypoints
    {
        get { var n = 0; for (var k = 0; k < Keypoints.Count; k++) if (!float.IsNaN(Coords[2 * k])) n++; return n; }
    }

    public static float[] MissingCoords() { var c = new float[Keypoints.CoordCount]; Array.Fill(c, float.NaN); return c; }
}
