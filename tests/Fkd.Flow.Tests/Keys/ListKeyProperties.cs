using CsCheck;
using Fkd.Flow.Keys;

namespace Fkd.Flow.Tests.Keys;

/// <summary>A list input's key material: one list, one encoding; order and every element count.</summary>
public sealed class ListKeyProperties
{
    // Keys as the store writes them (hex, key/file, file:hash) and hostile ones holding the encoding's own separators.
    private static readonly Gen<string> Key = Gen.OneOf(
        Gen.String[Gen.Char["0123456789abcdef"], 1, 12],
        Gen.String[Gen.Char["ab:/0123456789"], 0, 8]);

    [Fact]
    public void Two_lists_share_a_key_only_when_they_are_equal() =>
        Gen.Select(Key.List[0, 5], Key.List[0, 5]).Sample((a, b) =>
            (KeyMaterial.ListKey(a) == KeyMaterial.ListKey(b)) == a.SequenceEqual(b));

    [Fact]
    public void Swapping_two_different_elements_changes_the_key() =>
        Gen.Select(Key.List[2, 6], Gen.Int, Gen.Int).Sample((list, i, j) =>
        {
            var (x, y) = (Math.Abs(i % list.Count), Math.Abs(j % list.Count));
            var swapped = list.ToList();
            (swapped[x], swapped[y]) = (swapped[y], swapped[x]);
            return (KeyMaterial.ListKey(list) == KeyMaterial.ListKey(swapped)) == list.SequenceEqual(swapped);
        });

    [Fact]
    public void Moving_a_separator_between_elements_is_a_different_list() =>
        Gen.Select(Key, Key, Key).Sample((a, b, c) =>
            (KeyMaterial.ListKey([a + b, c]) == KeyMaterial.ListKey([a, b + c])) == (b.Length == 0));
}
