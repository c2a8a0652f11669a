using Microsoft.Win32.SafeHandles;

namespace Fkd.Stages.Train;

/// <summary>
/// A training set's images as one flat file of 9,216-byte records (the bytes the Parquet cache holds,
/// decompressed), read at random positions with positional reads (<see cref="RandomAccess"/>, thread-safe).
/// The pages live in the OS file cache, not in the process: a shuffled epoch over a set larger than
/// memory costs one small read per image instead of the whole set resident. Written once by
/// <see cref="Writer"/>, then opened read-only.
/// </summary>
public sealed class PixelFile : IDisposable
{
    public const int RecordSize = TrainingSet.PixelsPerImage;

    private readonly SafeFileHandle _handle;

    public string Path { get; }
    public int Count { get; }

    private PixelFile(string path, SafeFileHandle handle, int count) { Path = path; _handle = handle; Count = count; }

    public static PixelFile Open(string path)
    {
        var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read, FileOptions.RandomAccess);
        var length = RandomAccess.GetLength(handle);
        if (length % RecordSize != 0)
        {
            handle.Dispose();
            throw new InvalidDataException($"{path}: {length:N0} bytes is not a whole number of {RecordSize:N0}-byte images");
        }
        return new PixelFile(path, handle, checked((int)(length / RecordSize)));
    }

    /// <summary>Copies image <paramref name="index"/> into <paramref name="destination"/> (9,216 bytes).</summary>
    public void Read(int index, Span<byte> destination)
    {
        if ((uint)index >= (uint)Count) throw new ArgumentOutOfRangeException(nameof(index), $"image {index} of {Count}");
        var dest = destination[..RecordSize];
        var offset = (long)index * RecordSize;
        while (dest.Length > 0)
        {
            var n = RandomAccess.Read(_handle, dest, offset);
            if (n <= 0) throw new EndOfStreamException($"{Path}: image {index} cut short");
            dest = dest[n..];
            offset += n;
        }
    }

    public void Dispose() => _handle.Dispose();

    /// <summary>Appends images to a new file through a buffered stream.</summary>
    public sealed class Writer(string path) : IDisposable
    {
        private readonly FileStream _stream = new(path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20);

        public int Count { get; private set; }

        public void Add(ReadOnlySpan<byte> pixels)
        {
            if (pixels.Length != RecordSize) throw new ArgumentException($"an image has {RecordSize:N0} bytes, found {pixels.Length:N0}", nameof(pixels));
            _stream.Write(pixels);
            Count++;
        }

        public void Dispose() => _stream.Dispose();
    }
}
