using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace Fkd.Flow.Keys;

/// <summary>
/// Hashes a sequence of labelled fields with SHA-256. Every field is written as
/// label length, label, value length, value, so no two different sequences share an encoding
/// (bare concatenation would let "ab"+"c" collide with "a"+"bc").
/// </summary>
public sealed class KeyBuilder
{
    private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);

    public KeyBuilder Add(string label, string value)
    {
        Field(Encoding.UTF8.GetBytes(label));
        Field(Encoding.UTF8.GetBytes(value));
        return this;
    }

    private void Field(ReadOnlySpan<byte> bytes)
    {
        Span<byte> len = stackalloc byte[8];
        BinaryPrimitives.WriteInt64LittleEndian(len, bytes.Length);
        _hash.AppendData(len);
        _hash.AppendData(bytes);
    }

    /// <summary>The key as 64 lowercase hex characters (256 bits).</summary>
    public string Finish()
    {
        var hex = Convert.ToHexStringLower(_hash.GetHashAndReset());
        _hash.Dispose();
        return hex;
    }
}
