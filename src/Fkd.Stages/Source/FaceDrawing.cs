namespace Fkd.Stages.Source;

/// <summary>
/// One procedurally drawn face. Everything is defined in the "posed face frame": the model face
/// (units ≈ pixels at scale 1, y down, subject's left at +x) after a yaw approximation
/// (x' = x·cos φ + z·sin φ with a per-feature depth z). A similarity transform (rotation, scale,
/// translation) maps that frame onto the image. The keypoints are points of the very shapes that
/// are drawn (eye-ellipse ends, brow-stroke ends, pupil centre, lip-curve points) pushed through
/// the same similarity, so they are exact. Rendering inverts the similarity per pixel and
/// anti-aliases with analytic coverage from (approximate) signed distances.
/// </summary>
internal sealed class FaceDrawing
{
    private const int Side = Keypoints.ImageSide;
    private const double PivotY = 5.5;   // model point mapped to the face centre in the image
    private const double KeypointMin = 1.0, KeypointMax = 94.5;

    // Pose.
    private double _cx, _cy, _s, _cosT, _sinT;
    private readonly double _cosY, _sinY;

    // Tones and lighting.
    private readonly double _skin, _bg, _hairTone, _browTone, _eyeWhite, _irisTone, _lipTone, _noiseSigma;
    private readonly bool _hasHair;
    private readonly double _amb, _gx, _gy;
    private readonly double _texA1, _texA2, _texK1x, _texK1y, _texK2x, _texK2y, _texP1, _texP2, _hairPh;

    // Head.
    private readonly double _headCy, _headRx, _headRy, _hairY, _hairK, _earY, _neckW, _neckTop;

    // Eyes: index 0 = subject's left (+x), 1 = right.
    private readonly double[] _ecx = new double[2], _ecy = new double[2], _ea = new double[2], _eb = new double[2];
    private readonly double[] _pupX = new double[2], _pupY = new double[2];
    private readonly double _irisR, _pupilR;

    // Brows: 3 points each, radius at each point.
    private readonly double[][] _browX = [new double[3], new double[3]], _browY = [new double[3], new double[3]];
    private readonly double[] _browR = new double[3];
    private readonly double[,] _browBox = new double[2, 4];

    // Nose.
    private readonly double _noseX, _noseY, _noseW, _eyeLineY;

    // Mouth.
    private readonly double _mx0, _mLx, _mRx, _mBaseY, _smile, _open, _hu, _hl, _bow;

    /// <summary>The 15 keypoints in the posed face frame (x, y interleaved).</summary>
    private readonly double[] _kp = new double[Keypoints.CoordCount];

    /// <summary>The 15 keypoints in image coordinates, Kaggle column order.</summary>
    public float[] Coords { get; } = new float[Keypoints.CoordCount];

    private FaceDrawing(ref Rng r, SyntheticOptions o)
    {
        var yaw = r.Uniform(-o.MaxYawDegrees, o.MaxYawDegrees) * Math.PI / 180;
        _cosY = Math.Cos(yaw);
        _sinY = Math.Sin(yaw);

        // Tones.
        _skin = r.Uniform(105, 205);
        _bg = r.Uniform(20, 235);
        if (Math.Abs(_bg - _skin) < 30) _bg = _skin > 128 ? _skin - r.Uniform(30, 80) : _skin + r.Uniform(30, 80);
        var hairKind = r.NextDouble();
        _hasHair = hairKind > 0.1;
        _hairTone = hairKind < 0.25 ? r.Uniform(140, 220) : r.Uniform(12, 85);
        _browTone = Math.Min(_skin * 0.45, r.Uniform(20, 70));
        _eyeWhite = Math.Clamp(_skin + r.Uniform(20, 55), 150, 245);
        _irisTone = r.Uniform(25, 110);
        _lipTone = _skin * r.Uniform(0.55, 0.78);
        _noiseSigma = o.Noise;
        _amb = r.Uniform(0.65, 1.2);
        var gAng = r.Uniform(0, 2 * Math.PI);
        var gMag = r.Uniform(0, 0.35);
        _gx = gMag * Math.Cos(gAng);
        _gy = gMag * Math.Sin(gAng);
        _texA1 = r.Uniform(3, 22);
        _texA2 = r.Uniform(0, 12);
        _texK1x = r.Uniform(-0.35, 0.35); _texK1y = r.Uniform(-0.35, 0.35); _texP1 = r.Uniform(0, 2 * Math.PI);
        _texK2x = r.Uniform(-0.9, 0.9); _texK2y = r.Uniform(-0.9, 0.9); _texP2 = r.Uniform(0, 2 * Math.PI);
        _hairPh = r.Uniform(0, 2 * Math.PI);

        // Head.
        _headCy = r.Uniform(2, 5);
        _headRx = r.Uniform(35, 41);
        _headRy = r.Uniform(45, 51);
        _hairY = r.Uniform(-38, -29);
        _hairK = r.Uniform(0.006, 0.02);
        _neckW = _headRx * r.Uniform(0.5, 0.62);
        _neckTop = _headCy + _headRy * 0.55;

        // Eyes.
        var eyeY = r.Uniform(-14, -10);
        _eyeLineY = eyeY;
        var eyeSep = r.Uniform(15.5, 19.5);
        var eyeHw = r.Uniform(5.5, 7.2);
        var eyeOpen = r.Uniform(2.2, 3.6);
        var gazeX = r.Uniform(-1.2, 1.2);
        var gazeY = r.Uniform(-0.4, 0.4);
        _irisR = Math.Min(r.Uniform(2.6, 3.4), eyeOpen + 0.6);
        _pupilR = _irisR * r.Uniform(0.38, 0.5);
        _earY = eyeY + r.Uniform(6, 10);
        for (var e = 0; e < 2; e++)
        {
            var sg = e == 0 ? 1.0 : -1.0;
            var sep = eyeSep + r.Uniform(-0.6, 0.6);
            var hw = eyeHw + r.Uniform(-0.3, 0.3);
            var ey = eyeY + r.Uniform(-0.6, 0.6);
            var (inX, inY) = Yaw(sg * (sep - hw), ey, Depth(sep - hw));
            var (outX, outY) = Yaw(sg * (sep + hw), ey, Depth(sep + hw));
            _ecx[e] = (inX + outX) / 2;
            _ecy[e] = ey;
            _ea[e] = Math.Abs(outX - inX) / 2;
            _eb[e] = eyeOpen + r.Uniform(-0.2, 0.2);
            _pupX[e] = _ecx[e] + Math.Clamp(gazeX * _cosY, -0.25 * _ea[e], 0.25 * _ea[e]);
            _pupY[e] = ey + gazeY;
            SetKp(e == 0 ? 0 : 1, _pupX[e], _pupY[e]);
            SetKp(e == 0 ? 2 : 4, inX, inY);
            SetKp(e == 0 ? 3 : 5, outX, outY);

            // Brow over this eye.
            var bIn = r.Uniform(5, 8);
            var bOut = Math.Min(sep + hw + r.Uniform(2.5, 5.5), 30);
            var browY = ey - r.Uniform(7, 10);
            var arch = r.Uniform(1, 3);
            double[] bx = [bIn, bIn * 0.4 + bOut * 0.6, bOut];
            double[] by = [browY + r.Uniform(0, 1.5), browY - arch, browY + r.Uniform(0.5, 2.5)];
            for (var k = 0; k < 3; k++)
                (_browX[e][k], _browY[e][k]) = Yaw(sg * bx[k], by[k], Depth(bx[k]));
            SetKp(e == 0 ? 6 : 8, _browX[e][0], _browY[e][0]);
            SetKp(e == 0 ? 7 : 9, _browX[e][2], _browY[e][2]);
        }
        var browTh = r.Uniform(2.0, 3.6);
        _browR[0] = browTh / 2; _browR[1] = browTh / 2 * 0.95; _browR[2] = browTh / 2 * 0.55;
        for (var e = 0; e < 2; e++)
        {
            var m = browTh / 2 + 1.5;
            _browBox[e, 0] = _browX[e].Min() - m; _browBox[e, 1] = _browX[e].Max() + m;
            _browBox[e, 2] = _browY[e].Min() - m; _browBox[e, 3] = _browY[e].Max() + m;
        }

        // Nose.
        (_noseX, _noseY) = Yaw(r.Uniform(-0.6, 0.6), r.Uniform(10, 14.5), 40);
        _noseW = r.Uniform(3.5, 5) * _cosY;
        SetKp(10, _noseX, _noseY);

        // Mouth: the lip curves all meet at the two corners; t = -1 (right corner) .. 0 (midline) .. 1 (left corner).
        var my = r.Uniform(23, 27.5);
        var mhw = r.Uniform(11, 15.5);
        _smile = r.Uniform(-1, 2.5);
        _hu = r.Uniform(1.8, 3.2);
        _hl = r.Uniform(2.5, 4.2);
        _bow = r.Uniform(0, 0.35);
        _open = r.Chance(0.55) ? r.Uniform(0, 0.5) : r.Uniform(1, 8);
        _mBaseY = my;
        (_mLx, _) = Yaw(mhw, 0, Depth(mhw));
        (_mRx, _) = Yaw(-mhw, 0, Depth(mhw));
        (_mx0, _) = Yaw(0, 0, Depth(0));
        SetKp(11, _mLx, my - _smile);
        SetKp(12, _mRx, my - _smile);
        SetKp(13, _mx0, UpperOuter(0, 1));
        SetKp(14, _mx0, LowerOuter(0, 1));

        // Pose: re-draw until every keypoint is inside the image (shrinking the scale if it keeps failing).
        for (var attempt = 0; ; attempt++)
        {
            var theta = r.Uniform(-o.MaxRotationDegrees, o.MaxRotationDegrees) * Math.PI / 180;
            _s = r.Uniform(o.MinScale, o.MaxScale);
            if (attempt >= 20) _s *= Math.Pow(0.97, attempt - 19);
            _cosT = Math.Cos(theta);
            _sinT = Math.Sin(theta);
            _cx = (Side - 1) / 2.0 + r.Uniform(-o.MaxShift, o.MaxShift);
            _cy = (Side - 1) / 2.0 + r.Uniform(-o.MaxShift, o.MaxShift);
            var ok = true;
            for (var k = 0; k < Keypoints.Count; k++)
            {
                var (x, y) = ToImage(_kp[2 * k], _kp[2 * k + 1]);
                var fx = (float)x; var fy = (float)y;
                Coords[2 * k] = fx;
                Coords[2 * k + 1] = fy;
                ok &= fx >= KeypointMin && fx <= KeypointMax && fy >= KeypointMin && fy <= KeypointMax;
            }
            if (ok) break;
        }
    }

    public static FaceDrawing Sample(ref Rng r, SyntheticOptions o) => new(ref r, o);

    private static double Depth(double x) => 30 - x * x / 60;

    private (double X, double Y) Yaw(double x, double y, double z) => (x * _cosY + z * _sinY, y);

    private void SetKp(int k, double x, double y) { _kp[2 * k] = x; _kp[2 * k + 1] = y; }

    private (double X, double Y) ToImage(double qx, double qy)
    {
        var dx = qx;
        var dy = qy - PivotY;
        return (_cx + _s * (_cosT * dx - _sinT * dy), _cy + _s * (_sinT * dx + _cosT * dy));
    }

    // Lip curves as functions of t (w = 1 - t², 0 at the corners).
    private double Base(double t) => _mBaseY - _smile * t * t;
    private double UpperOuter(double t, double w) => Base(t) - (_open / 2 + _hu * (1 - _bow * Math.Exp(-(t * t) / 0.0324))) * w;
    private double LowerOuter(double t, double w) => Base(t) + (_open / 2 + _hl) * w;

    private static double Cov(double d, double s) => Math.Clamp(0.5 - d * s, 0, 1);

    private static double Lerp(double a, double b, double c) => a + (b - a) * c;

    /// <summary>Approximate signed distance to an axis-aligned ellipse centred at the origin (f / |∇f|).</summary>
    private static double EllipseSd(double x, double y, double a, double b)
    {
        var u = x / a; var v = y / b;
        var f = u * u + v * v - 1;
        var gx = u / a; var gy = v / b;
        var g = 2 * Math.Sqrt(gx * gx + gy * gy);
        return g > 1e-9 ? f / g : -Math.Max(a, b);
    }

    /// <summary>Distance from p to segment ab, and the segment parameter of the closest point.</summary>
    private static double SegDist(double px, double py, double ax, double ay, double bx, double by, out double t)
    {
        var vx = bx - ax; var vy = by - ay;
        var l2 = vx * vx + vy * vy;
        t = l2 > 0 ? Math.Clamp(((px - ax) * vx + (py - ay) * vy) / l2, 0, 1) : 0;
        var dx = px - ax - t * vx; var dy = py - ay - t * vy;
        return Math.Sqrt(dx * dx + dy * dy);
    }

    /// <summary>Renders the face into 9,216 bytes (row-major), adding pixel noise drawn from <paramref name="r"/>.</summary>
    public void Render(Span<byte> dst, ref Rng r)
    {
        Span<double> s1x = stackalloc double[Side], c1x = stackalloc double[Side], s1y = stackalloc double[Side], c1y = stackalloc double[Side];
        Span<double> s2x = stackalloc double[Side], c2x = stackalloc double[Side], s2y = stackalloc double[Side], c2y = stackalloc double[Side];
        for (var i = 0; i < Side; i++)
        {
            s1x[i] = Math.Sin(_texK1x * i); c1x[i] = Math.Cos(_texK1x * i);
            s1y[i] = Math.Sin(_texK1y * i + _texP1); c1y[i] = Math.Cos(_texK1y * i + _texP1);
            s2x[i] = Math.Sin(_texK2x * i); c2x[i] = Math.Cos(_texK2x * i);
            s2y[i] = Math.Sin(_texK2y * i + _texP2); c2y[i] = Math.Cos(_texK2y * i + _texP2);
        }
        var table = NormalTable.Values;
        var inv = 1 / _s;
        ulong bits = 0;
        var left = 0;
        const double half = (Side - 1) / 2.0;
        for (var j = 0; j < Side; j++)
        {
            for (var i = 0; i < Side; i++)
            {
                var v = _bg + _texA1 * (s1x[i] * c1y[j] + c1x[i] * s1y[j]) + _texA2 * (s2x[i] * c2y[j] + c2x[i] * s2y[j]);
                var dx = (i - _cx) * inv;
                var dy = (j - _cy) * inv;
                var qx = _cosT * dx + _sinT * dy;
                var qy = PivotY - _sinT * dx + _cosT * dy;
                v = Shade(qx, qy, v);
                v *= _amb + _gx * (i - half) / half + _gy * (j - half) / half;
                if (left == 0) { bits = r.NextULong(); left = 4; }
                v += _noiseSigma * table[(int)(bits & 0xFFFF)];
                bits >>= 16;
                left--;
                dst[j * Side + i] = (byte)Math.Clamp((int)Math.Round(v), 0, 255);
            }
        }
    }

    private double Shade(double x, double y, double v)
    {
        var s = _s;

        // Neck, ears, head, hair.
        var dNeck = Math.Max(Math.Abs(x) - _neckW, _neckTop - y);
        if (dNeck * s < 0.5) v = Lerp(v, _skin * 0.8, Cov(dNeck, s));
        if (Math.Abs(y - _earY) < 10.5 && Math.Abs(x) > _headRx - 8) for (var e = -1; e <= 1; e += 2)
        {
            var dEar = EllipseSd(x - e * (_headRx - 1.5) * _cosY, y - _earY, 4.5 * _cosY, 9);
            if (dEar * s < 0.5) v = Lerp(v, _skin * 0.85, Cov(dEar, s));
        }
        var hy = y - _headCy;
        var dHead = EllipseSd(x, hy, _headRx, _headRy);
        if (dHead * s < 0.5)
        {
            var u = x / _headRx; var w = hy / _headRy;
            var r2 = u * u + w * w;
            v = Lerp(v, _skin * (0.76 + 0.24 * Math.Sqrt(Math.Max(0, 1 - r2))), Cov(dHead, s));
        }
        if (_hasHair && y < _hairY + 0.02 * x * x + 2)
        {
            var dHair = Math.Max(EllipseSd(x, hy + 1, _headRx + 2.5, _headRy + 3.5), y - (_hairY + _hairK * x * x));
            if (dHair * s < 0.5) v = Lerp(v, _hairTone + 7 * Math.Sin(x * 1.9 + y * 0.35 + _hairPh), Cov(dHair, s));
        }
        if (y < -38 || y > 45 || x < -40 || x > 40) return v;

        // Eyes: socket shadow, white, iris, pupil, glint, lids.
        for (var e = 0; e < 2; e++)
        {
            var ex = x - _ecx[e]; var ey = y - _ecy[e];
            var a = _ea[e]; var b = _eb[e];
            if (Math.Abs(ex) > a + 8 || Math.Abs(ey) > b + 9) continue;
            var sa = a + 3; var sb = b + 3.5; var sy = ey + 1;
            v *= 1 - 0.16 * Math.Exp(-(ex * ex / (sa * sa) + sy * sy / (sb * sb)));
            var dEye = EllipseSd(ex, ey, a, b);
            if (dEye * s < 1.5)
            {
                var cEye = Cov(dEye, s);
                if (cEye > 0)
                {
                    v = Lerp(v, _eyeWhite, cEye);
                    var px = (x - _pupX[e]) / _cosY; var py = y - _pupY[e];
                    var rr = Math.Sqrt(px * px + py * py);
                    var dIris = Math.Max(rr - _irisR, dEye);
                    v = Lerp(v, _irisTone, Cov(dIris, s));
                    var dPupil = Math.Max(rr - _pupilR, dEye);
                    v = Lerp(v, 12, Cov(dPupil, s));
                    var gx = px - 0.45 * _irisR; var gy = py + 0.45 * _irisR;
                    var dGlint = Math.Sqrt(gx * gx + gy * gy) - 0.55;
                    v = Lerp(v, 235, Cov(dGlint, s) * 0.8);
                }
                var lid = ey < 0 ? Math.Abs(dEye) - 0.6 : Math.Abs(dEye) - 0.35;
                v = Lerp(v, ey < 0 ? 18 : v * 0.6, Cov(lid, s));
            }
        }

        // Brows: a tapered stroke through three points.
        for (var e = 0; e < 2; e++)
        {
            var bx = _browX[e]; var by = _browY[e];
            if (x < _browBox[e, 0] || x > _browBox[e, 1] || y < _browBox[e, 2] || y > _browBox[e, 3]) continue;
            var d = double.MaxValue;
            for (var k = 0; k < 2; k++)
            {
                var dist = SegDist(x, y, bx[k], by[k], bx[k + 1], by[k + 1], out var t);
                d = Math.Min(d, dist - Lerp(_browR[k], _browR[k + 1], t));
            }
            if (d * s < 0.5) v = Lerp(v, _browTone, Cov(d, s) * 0.93);
        }

        // Nose: bridge shadow on the side away from the light, shadow under the tip, nostrils, tip highlight.
        if (Math.Abs(x - _noseX) < _noseW + 6 && y > _eyeLineY && y < _noseY + 6)
        {
            var side = _gx >= 0 ? -1.0 : 1.0;
            var bd = SegDist(x, y, _noseX * 0.5 + side * _noseW * 0.5, _eyeLineY + 4, _noseX + side * _noseW * 0.75, _noseY - 2, out _);
            v *= 1 - 0.13 * Math.Exp(-bd * bd / 2.5);
            var ux = (x - _noseX) / (_noseW + 1); var uy = (y - _noseY - 2.6) / 1.7;
            v *= 1 - 0.25 * Math.Exp(-(ux * ux + uy * uy));
            for (var e = -1; e <= 1; e += 2)
            {
                var dN = EllipseSd(x - _noseX - e * _noseW * 0.55, y - _noseY - 1.6, 1.4 * _cosY, 0.85);
                if (dN * s < 0.5) v = Lerp(v, v * 0.4, Cov(dN, s));
            }
            var hx = x - _noseX; var hyy = y - _noseY + 0.8;
            v += 16 * Math.Exp(-(hx * hx + hyy * hyy) / 3.5);
        }

        // Mouth.
        var top = Math.Min(_mBaseY - _open / 2 - _hu, _mBaseY - _smile) - 1.5;
        var bottom = Math.Max(_mBaseY + _open / 2 + _hl, _mBaseY - _smile) + 1.5;
        if (x > _mRx - 2 && x < _mLx + 2 && y > top - 2 && y < bottom + 5)
        {
            double t, halfW;
            if (x < _mx0) { halfW = _mx0 - _mRx; t = (x - _mx0) / halfW; }
            else { halfW = _mLx - _mx0; t = (x - _mx0) / halfW; }
            var w = Math.Max(0, 1 - t * t);
            var dSide = (Math.Abs(t) - 1) * halfW;
            var bse = Base(t);
            var uo = UpperOuter(t, w);
            var ui = bse - _open / 2 * w;
            var li = bse + _open / 2 * w;
            var lo = LowerOuter(t, w);
            // Soft shadow under the lower lip (chin crease).
            var cx = (x - _mx0) / (halfW * 0.6); var cyy = (y - (_mBaseY + _open / 2 + _hl + 3.2)) / 1.8;
            v *= 1 - 0.12 * Math.Exp(-(cx * cx + cyy * cyy));
            var dUp = Math.Max(Math.Max(uo - y, y - ui), dSide);
            v = Lerp(v, _lipTone, Cov(dUp, s));
            var dLo = Math.Max(Math.Max(li - y, y - lo), dSide);
            v = Lerp(v, Math.Min(255, _lipTone * 1.1), Cov(dLo, s));
            if (_open > 0.3)
            {
                var dCav = Math.Max(Math.Max(ui - y, y - li), dSide);
                v = Lerp(v, 22, Cov(dCav, s));
                if (_open > 2)
                {
                    var teeth = ui + Math.Min(_open * 0.4, 3) * w;
                    var dT = Math.Max(Math.Max(ui - y, y - teeth), Math.Max(dSide, (Math.Abs(t) - 0.75) * halfW));
                    v = Lerp(v, Math.Min(235, _eyeWhite), Cov(dT, s));
                }
            }
            else
            {
                var dLine = Math.Max(Math.Abs(y - bse) - 0.45, dSide);
                v = Lerp(v, 30, Cov(dLine, s) * 0.85);
            }
            // Darker corners.
            var ky = y - (_mBaseY - _smile);
            var kl = x - _mLx; var kr = x - _mRx;
            v *= 1 - 0.3 * (Math.Exp(-(kl * kl + ky * ky) / 1.5) + Math.Exp(-(kr * kr + ky * ky) / 1.5));
        }
        return v;
    }
}
