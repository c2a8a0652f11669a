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
    public void A_list_key_reads_back_as_its_elements() =>
        Key.List[0, 6].Sample(list => KeyMaterial.ParseListKey(KeyMaterial.ListKey(list)) is { } back && back.SequenceEqual(list));

    [Fact]
    public void A_changed_list_input_is_explained_element_by_element()
    {
        string K(char c) => new(c, 64);
        KeyMaterial M(params string[] keys) => new("k", 1, "{}",
            System.Collections.Immutable.ImmutableSortedDictionary<string, string>.Empty.Add("oof", KeyMaterial.ListKey(keys)), "", 1);
        var d = M(K('a'), K('b') + "/predictions.parquet", K('c')).DiffFrom(M(K('a'), K('e') + "/predictions.parquet"));
        Assert.Equal<string>(["input oof[1]: eeeeeeeeeeee/predictions.parquet → bbbbbbbbbbbb/predictions.parquet", "input oof[2]: added cccccccccccc"], d);
        Assert.Equal<string>(["input oof[1]: removed bbbbbbbbbbbb"], M(K('a')).DiffFrom(M(K('a'), K('b'))));
        Assert.Null(KeyMaterial.ParseListKey("list:2:3:abc"));
    }

    [Fact]
    public void An_inputs_key_material_names_the_entries_it_read()
    {
        string K(char c) => new(c, 64);
        Assert.Equal([(K('a'), (string?)null)], KeyMaterial.EntryRefs(K('a')));
        Assert.Equal([(K('a'), (string?)"faces.parquet")], KeyMaterial.EntryRefs(K('a') + "/faces.parquet"));
        Assert.Equal([(K('a'), (string?)"x.parquet"), (K('b'), null)], KeyMaterial.EntryRefs(KeyMaterial.ListKey([K('a') + "/x.parquet", K('b')])));
        Assert.Empty(KeyMaterial.EntryRefs("file:" + K('c')));
        Assert.Empty(KeyMaterial.EntryRefs(K('a') + "x"));
    }

    [Fact]
    public void Moving_a_separator_between_elements_is_a_different_list() =>
        Gen.Select(Key, Key, Key).Sample((a, b, c) =>
            (KeyMaterial.ListKey([a + b, c]) == KeyMaterial.ListKey([a, b + c])) == (b.Length == 0));
}
