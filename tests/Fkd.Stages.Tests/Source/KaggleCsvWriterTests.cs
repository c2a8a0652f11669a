using System.Globalization;
using System.Text;
using CsCheck;
using Fkd.Stages.Faces;
using Fkd.Stages.Source;

namespace Fkd.Stages.Tests.Source;

public class KaggleCsvWriterTests
{
    private static readonly Lazy<SyntheticDataset> Data = new(() => SyntheticFaces.Generate(
        SyntheticFacesTests.Small with { TrainRows = 40, TestRows = 5, DuplicateGroups = 2, WrongLabels = 1, BlankImages = 1 }));

    private static string[] Lines(byte[] bytes)
    {
        Assert.False(bytes.Length >= 3 && bytes[0] == 0xEF && bytes[1] == 0xBB && bytes[2] == 0xBF, "no BOM");
        Assert.DoesNotContain((byte)'\r', bytes);
        Assert.Equal((byte)'\n', bytes[^1]);
        return Encoding.UTF8.GetString(bytes).Split('\n')[..^1];
    }

    [Fact]
    public void Training_csv_has_kaggles_header_and_rows()
    {
        var d = Data.Value;
        var lines = Lines(SyntheticFacesTests.Bytes(s => KaggleCsvWriter.WriteTraining(s, d.Train)));
        Assert.Equal(
            "left_eye_center_x,left_eye_center_y,right_eye_center_x,right_eye_center_y,left_eye_inner_corner_x,left_eye_inner_corner_y," +
            "left_eye_outer_corner_x,left_eye_outer_corner_y,right_eye_inner_corner_x,right_eye_inner_corner_y,right_eye_outer_corner_x,right_eye_outer_corner_y," +
            "left_eyebrow_inner_end_x,left_eyebrow_inner_end_y,left_eyebrow_outer_end_x,left_eyebrow_outer_end_y,right_eyebrow_inner_end_x,right_eyebrow_inner_end_y," +
            "right_eyebrow_outer_end_x,right_eyebrow_outer_end_y,nose_tip_x,nose_tip_y,mouth_left_corner_x,mouth_left_corner_y,mouth_right_corner_x,mouth_right_corner_y," +
            "mouth_center_top_lip_x,mouth_center_top_lip_y,mouth_center_bottom_lip_x,mouth_center_bottom_lip_y,Image",
            lines[0]);
        Assert.Equal(d.Train.Length + 1, lines.Length);
        for (var r = 0; r < d.Train.Length; r++)
        {
            var f = d.Train[r];
            var fields = lines[r + 1].Split(',');
            Assert.Equal(31, fields.Length);
            for (var c = 0; c < 30; c++)
            {
                if (float.IsNaN(f.Coords[c])) Assert.Equal("", fields[c]);
                else Assert.Equal(f.Coords[c], float.Parse(fields[c], CultureInfo.InvariantCulture));
            }
            var px = fields[30].Split(' ');
            Assert.Equal(Keypoints.PixelCount, px.Length);
            Assert.Equal(f.Pixels, px.Select(byte.Parse).ToArray());
        }
        // A partial row: 22 empty fields in a row, e.g. "...,y,,,,".
        var partial = d.Planted.PartialRows[0];
        Assert.Equal(22, lines[partial + 1].Split(',')[..30].Count(s => s.Length == 0));
    }

    [Fact]
    public void Test_csv_has_image_ids_from_one()
    {
        var d = Data.Value;
        var lines = Lines(SyntheticFacesTests.Bytes(s => KaggleCsvWriter.WriteTest(s, d.Test)));
        Assert.Equal("ImageId,Image", lines[0]);
        Assert.Equal(d.Test.Length + 1, lines.Length);
        for (var k = 0; k < d.Test.Length; k++)
        {
            var fields = lines[k + 1].Split(',');
            Assert.Equal(2, fields.Length);
            Assert.Equal((k + 1).ToString(CultureInfo.InvariantCulture), fields[0]);
            Assert.Equal(d.Test[k].Pixels, fields[1].Split(' ').Select(byte.Parse).ToArray());
        }
    }

    [Fact]
    public void Lookup_csv_leaves_location_empty()
    {
        var lookup = SyntheticFaces.BuildLookup(3);
        var lines = Lines(SyntheticFacesTests.Bytes(s => KaggleCsvWriter.WriteLookup(s, lookup)));
        Assert.Equal("RowId,ImageId,FeatureName,Location", lines[0]);
        Assert.Equal("1,1,left_eye_center_x,", lines[1]);
        Assert.Equal("30,1,mouth_center_bottom_lip_y,", lines[30]);
        Assert.Equal("61,3,left_eye_center_x,", lines[61]);
        Assert.Equal("68,3,mouth_center_bottom_lip_y,", lines[68]);
        Assert.Equal(69, lines.Length);
    }

    [Fact]
    public void Any_face_round_trips_through_the_training_csv()
    {
        var gCoord = Gen.Frequency((1, Gen.Const(float.NaN)), (4, Gen.Float[0f, 95.99f]));
        var gFace = Gen.Select(gCoord.Array[30], Gen.Byte.Array[Keypoints.PixelCount], (c, p) => new Face(0, p, c));
        gFace.Array[1, 3].Sample(faces =>
        {
            var lines = Encoding.UTF8.GetString(SyntheticFacesTests.Bytes(s => KaggleCsvWriter.WriteTraining(s, faces))).Split('\n');
            Assert.Equal(faces.Length + 2, lines.Length);
            for (var r = 0; r < faces.Length; r++)
            {
                var fields = lines[r + 1].Split(',');
                for (var c = 0; c < 30; c++)
                {
                    var want = faces[r].Coords[c];
                    if (float.IsNaN(want)) Assert.Equal("", fields[c]);
                    else Assert.Equal(want, float.Parse(fields[c], CultureInfo.InvariantCulture));
                }
                Assert.Equal(faces[r].Pixels, fields[30].Split(' ').Select(byte.Parse).ToArray());
            }
        }, iter: 40);
    }

    [Fact]
    public void Bad_shapes_are_rejected()
    {
        Assert.Throws<ArgumentException>(() => KaggleCsvWriter.WriteTraining(new MemoryStream(), [new Face(0, new byte[10], Face.MissingCoords())]));
        Assert.Throws<ArgumentException>(() => KaggleCsvWriter.WriteTraining(new MemoryStream(), [new Face(0, new byte[Keypoints.PixelCount], new float[4])]));
    }
}
