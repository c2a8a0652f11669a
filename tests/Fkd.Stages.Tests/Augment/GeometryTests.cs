using CsCheck;
using Fkd.Stages.Augment;
using Fkd.Stages.Faces;
using static Fkd.Stages.Tests.Augment.AugmentTestData;

namespace Fkd.Stages.Tests.Augment;

public class GeometryTests
{
    [Fact]
    public void FlipPermutation_swaps_exactly_Kaggles_12_column_pairs()
    {
        string[][] expected =
        [
            ["left_eye_center_x", "right_eye_center_x"], ["left_eye_center_y", "right_eye_center_y"],
            ["left_eye_inner_corner_x", "right_eye_inner_corner_x"], ["left_eye_inner_corner_y", "right_eye_inner_corner_y"],
            ["left_eye_outer_corner_x", "right_eye_outer_corner_x"], ["left_eye_outer_corner_y", "right_eye_outer_corner_y"],
            ["left_eyebrow_inner_end_x", "right_eyebrow_inner_end_x"], ["left_eyebrow_inner_end_y", "right_eyebrow_inner_end_y"],
            ["left_eyebrow_outer_end_x", "right_eyebrow_outer_end_x"], ["left_eyebrow_outer_end_y", "right_eyebrow_outer_end_y"],
            ["mouth_left_corner_x", "mouth_right_corner_x"], ["mouth_left_corner_y", "mouth_right_corner_y"],
        ];
        var perm = Keypoints.FlipPermutation;
        var swapped = new HashSet<string>();
        for (var k = 0; k < Keypoints.Count; k++)
        {
            Assert.Equal(k, perm[perm[k]]);
            if (perm[k] == k) continue;
            foreach (var axis in new[] { 0, 1 })
            {
                var a = Keypoints.Columns[2 * k + axis]; var b = Keypoints.Columns[2 * perm[k] + axis];
                swapped.Add(string.CompareOrdinal(a, b) < 0 ? a + "|" + b : b + "|" + a);
            }
        }
        var want = expected.Select(p => string.CompareOrdinal(p[0], p[1]) < 0 ? p[0] + "|" + p[1] : p[1] + "|" + p[0]).ToHashSet();
        Assert.Equal(12, swapped.Count);
        Assert.True(want.SetEquals(swapped));
        var fixedPoints = Enumerable.Range(0, Keypoints.Count).Where(k => perm[k] == k).Select(k => Keypoints.Names[k]);
        Assert.Equal(["nose_tip", "mouth_center_top_lip", "mouth_center_bottom_lip"], fixedPoints);
    }

    [Fact]
    public void Flip_maps_x_to_95_minus_x_and_swaps_left_right()
    {
        var face = RandomFace(3, withMissing: false);
        var o = Augmenter.Apply(face, 1, Plan(flip: true), 0);
        Assert.NotNull(o.Face);
        for (var k = 0; k < Keypoints.Count; k++)
        {
            var t = Keypoints.FlipPermutation[k];
            Assert.Equal(95 - face.Coords[2 * k], o.Face!.Coords[2 * t], 5);
            Assert.Equal(face.Coords[2 * k + 1], o.Face.Coords[2 * t + 1]);
        }
        for (var j = 0; j < N; j++)
            for (var i = 0; i < N; i++)
                Assert.Equal(face.Pixels[j * N + i], o.Face.Pixels[j * N + 95 - i]);
    }

    [Fact]
    public void Flip_twice_is_the_identity_for_pixels_and_coords()
    {
        // Coordinates on the float32 grid of [64, 128) (multiples of 2^-17 px): there 95 - x is exact,
        // so a double flip returns the same bits. Arbitrary floats come back within 2^-17 px (next test).
        var coord = Gen.Int[0, 95 << 17].Select(v => v / 131072f);
        Gen.Select(Gen.Int, coord.Array[Keypoints.CoordCount], Gen.Bool).Sample((seed, coords, bicubic) =>
        {
            var face = RandomFace(seed) with { Coords = coords };
            var plan = Plan(flip: true, interpolation: bicubic ? Interpolation.Bicubic : Interpolation.Bilinear);
            var once = Augmenter.Apply(face, 7, plan, 1).Face!;
            var twice = Augmenter.Apply(once, 7, plan, 1).Face!;
            Assert.Equal(face.Pixels, twice.Pixels);
            Assert.True(SameBits(face.Coords, twice.Coords));
        }, iter: 200);
    }

    [Fact]
    public void Flip_twice_returns_arbitrary_coords_within_one_float_step()
    {
        Gen.Int.Sample(seed =>
        {
            var face = RandomFace(seed, 0, 95);
            var plan = Plan(flip: true);
            var twice = Augmenter.Apply(Augmenter.Apply(face, 7, plan, 1).Face!, 7, plan, 1).Face!;
            for (var k = 0; k < Keypoints.CoordCount; k++)
                if (float.IsNaN(face.Coords[k])) Assert.True(float.IsNaN(twice.Coords[k]));
                else Assert.InRange(Math.Abs(face.Coords[k] - twice.Coords[k]), 0, 1.0 / 131072);
        }, iter: 200);
    }

    [Fact]
    public void Flip_through_the_interpolating_path_is_exact_too()
    {
        // A flip composed with a zero shift is not special-cased by the caller; Warp must still be exact.
        Gen.Select(Gen.Int, Gen.Bool).Sample((seed, bicubic) =>
        {
            var face = RandomFace(seed);
            var dst = new byte[Keypoints.PixelCount];
            var back = new byte[Keypoints.PixelCount];
            var interp = bicubic ? Interpolation.Bicubic : Interpolation.Bilinear;
            var zero = new DisplacementField(new float[Keypoints.PixelCount], new float[Keypoints.PixelCount]);
            Warp.Apply(face.Pixels, dst, Affine2D.FlipHorizontal, zero, interp, BorderMode.Constant, 0);
            Warp.Apply(dst, back, Affine2D.FlipHorizontal, zero, interp, BorderMode.Constant, 0);
            Assert.Equal(face.Pixels, back);
        }, iter: 50);
    }

    [Fact]
    public void Cached_inverse_maps_and_on_the_fly_warps_give_the_same_bytes()
    {
        // A zero displacement field forces the on-the-fly path; without a field Warp uses a cached map.
        var zero = new DisplacementField(new float[Keypoints.PixelCount], new float[Keypoints.PixelCount]);
        Gen.Select(Gen.Int, Gen.Double[-20, 20], Gen.Double[0.8, 1.2], Gen.Double[-6, 6], Gen.Bool, Gen.Bool).Sample((seed, deg, s, dx, bicubic, constant) =>
        {
            var face = RandomFace(seed);
            var m = Affine2D.Rotate(deg).Then(Affine2D.Scale(s)).Then(Affine2D.Shift(dx, -dx));
            var interp = bicubic ? Interpolation.Bicubic : Interpolation.Bilinear;
            var border = constant ? BorderMode.Constant : BorderMode.Replicate;
            var cached = new byte[Keypoints.PixelCount]; var direct = new byte[Keypoints.PixelCount];
            Warp.Apply(face.Pixels, cached, m, null, interp, border, 17);
            Warp.Apply(face.Pixels, direct, m, zero, interp, border, 17);
            Assert.Equal(direct, cached);
        }, iter: 100);
    }

    [Fact]
    public void Rotation_is_about_the_image_centre_and_counter_clockwise()
    {
        var r = Affine2D.Rotate(90);
        var (x, y) = r.Apply(57.5, 47.5);           // 10 px right of the centre...
        Assert.Equal(47.5, x, 12); Assert.Equal(37.5, y, 12); // ...goes 10 px up.
        var (cx, cy) = Affine2D.Rotate(13).Apply(47.5, 47.5);
        Assert.Equal(47.5, cx, 12); Assert.Equal(47.5, cy, 12);
    }

    [Fact]
    public void Rotation_preserves_distances_to_the_centre_so_y_is_not_computed_from_the_rotated_x()
    {
        // Computing y' from the already-rotated x' (the known public bug) breaks this for any θ ≠ 0.
        Gen.Select(Gen.Double[-45, 45], Gen.Double[0, 95], Gen.Double[0, 95]).Sample((deg, x, y) =>
        {
            var (qx, qy) = Affine2D.Rotate(deg).Apply(x, y);
            var before = Math.Sqrt((x - 47.5) * (x - 47.5) + (y - 47.5) * (y - 47.5));
            var after = Math.Sqrt((qx - 47.5) * (qx - 47.5) + (qy - 47.5) * (qy - 47.5));
            Assert.Equal(before, after, 1e-9);
            var t = deg * Math.PI / 180;
            Assert.Equal(47.5 + Math.Cos(t) * (x - 47.5) + Math.Sin(t) * (y - 47.5), qx, 1e-9);
            Assert.Equal(47.5 - Math.Sin(t) * (x - 47.5) + Math.Cos(t) * (y - 47.5), qy, 1e-9);
        }, iter: 500);
    }

    [Fact]
    public void Rotate_then_back_returns_points_within_005_px()
    {
        Gen.Select(Gen.Int, Gen.Double[-30, 30]).Sample((seed, deg) =>
        {
            var face = RandomFace(seed, 25, 70);
            var there = Augmenter.Apply(face, 3, Plan(geo: [new GeometricOp.Rotate(deg)]), 5).Face!;
            var back = Augmenter.Apply(there, 3, Plan(geo: [new GeometricOp.Rotate(-deg)]), 5).Face!;
            for (var k = 0; k < Keypoints.CoordCount; k++)
                if (float.IsNaN(face.Coords[k])) Assert.True(float.IsNaN(back.Coords[k]));
                else Assert.InRange(Math.Abs(face.Coords[k] - back.Coords[k]), 0, 0.05);
        }, iter: 200);
    }

    [Fact]
    public void Affine_composition_and_inverse_agree_with_sequential_application()
    {
        Gen.Select(Gen.Double[-20, 20], Gen.Double[0.8, 1.2], Gen.Double[-5, 5], Gen.Double[0, 95], Gen.Double[0, 95]).Sample((deg, s, dx, x, y) =>
        {
            var a = Affine2D.FlipHorizontal; var b = Affine2D.Rotate(deg); var c = Affine2D.Scale(s); var d = Affine2D.Shift(dx, -dx);
            var m = a.Then(b).Then(c).Then(d);
            var p = a.Apply(x, y); p = b.Apply(p.X, p.Y); p = c.Apply(p.X, p.Y); p = d.Apply(p.X, p.Y);
            var q = m.Apply(x, y);
            Assert.Equal(p.X, q.X, 1e-9); Assert.Equal(p.Y, q.Y, 1e-9);
            var r = m.Inverse().Apply(q.X, q.Y);
            Assert.Equal(x, r.X, 1e-9); Assert.Equal(y, r.Y, 1e-9);
        }, iter: 300);
    }

    [Fact]
    public void A_blob_at_a_keypoint_lands_on_the_transformed_keypoint()
    {
        var gen = Gen.Select(Gen.Double[30, 66], Gen.Double[30, 66], Gen.Bool, Gen.Double[-15, 15],
            Gen.Double[-4, 4], Gen.Double[-4, 4], Gen.Double[0.9, 1.1], Gen.Int[0, 3]);
        gen.Sample((x, y, flip, deg, dx, dy, scale, mode) =>
        {
            // mode: bit 0 = bicubic, bit 1 = add a moderate elastic field (alpha 34, sigma 6: ~1 px displacements).
            var face = Blob(x, y);
            GeometricOp[] ops = (mode & 2) != 0
                ? [new GeometricOp.Rotate(deg), new GeometricOp.Shift(dx, dy), new GeometricOp.Scale(scale), new GeometricOp.Elastic(34, 6)]
                : [new GeometricOp.Rotate(deg), new GeometricOp.Shift(dx, dy), new GeometricOp.Scale(scale)];
            var plan = Plan(flip, [.. ops], interpolation: (mode & 1) != 0 ? Interpolation.Bicubic : Interpolation.Bilinear,
                border: BorderMode.Constant);
            var o = Augmenter.Apply(face, (UInt128)(x * 1000), plan, 42);
            var slot = flip ? Keypoints.FlipPermutation[0] : 0;
            var kx = o.Face!.Coords[2 * slot]; var ky = o.Face.Coords[2 * slot + 1];
            var (cx, cy) = Centroid(o.Face.Pixels);
            var err = Math.Sqrt((cx - kx) * (cx - kx) + (cy - ky) * (cy - ky));
            Assert.True(err < 0.5, $"blob centroid ({cx:0.000},{cy:0.000}) vs keypoint ({kx:0.000},{ky:0.000}): {err:0.000} px");
        }, iter: 300);
    }

    [Fact]
    public void Elastic_inverse_solves_p_plus_d_of_p()
    {
        Gen.Select(Gen.Int, Gen.Double[0, 95], Gen.Double[0, 95]).Sample((seed, x, y) =>
        {
            var rng = new Rng((ulong)seed);
            var f = DisplacementField.Random(34, 6, ref rng);
            var s = f.Sample(x, y);
            Assert.True(f.Invert(x + s.Dx, y + s.Dy, out var px, out var py));
            Assert.InRange(Math.Abs(x - px), 0, 1e-3); Assert.InRange(Math.Abs(y - py), 0, 1e-3);
        }, iter: 300);
    }

    [Fact]
    public void Out_of_image_keypoints_drop_the_variant_or_are_marked_missing()
    {
        var face = RandomFace(11, 40, 60, withMissing: false);
        face.Coords[2 * 3] = 93; // left_eye_outer_corner x: a 5 px shift right pushes it out.
        GeometricOp[] shift = [new GeometricOp.Shift(5, 0)];
        var dropped = Augmenter.Apply(face, 1, Plan(geo: [.. shift], policy: OutOfImagePolicy.Drop), 0);
        Assert.False(dropped.Kept);
        Assert.Contains("left_eye_outer_corner", dropped.DropReason);

        var marked = Augmenter.Apply(face, 1, Plan(geo: [.. shift], policy: OutOfImagePolicy.MarkMissing), 0);
        Assert.True(marked.Kept);
        Assert.Equal(1, marked.MarkedMissing);
        Assert.True(float.IsNaN(marked.Face!.Coords[6]) && float.IsNaN(marked.Face.Coords[7]));
        Assert.Equal(14, marked.Face.LabelledKeypoints);
        Assert.Equal(face.Coords[0] + 5, marked.Face.Coords[0], 4);

        // Inside the image area [-0.5, 95.5] is kept; already-missing keypoints are not counted.
        var edge = RandomFace(12, 40, 60) with { };
        edge.Coords[0] = 90.4f;
        var kept = Augmenter.Apply(edge, 1, Plan(geo: [.. shift], policy: OutOfImagePolicy.Drop), 0);
        Assert.True(kept.Kept);
        Assert.Equal(0, kept.MarkedMissing);
    }
}
