namespace Fkd.Flow.Spec;

/// <summary>Where a stage input comes from: another stage's output (whole, or one file of it), or a file on disk.</summary>
public abstract record InputRef
{
    /// <summary>
    /// Reads the textual form used in pipeline JSON and in <c>--set</c>: <c>stage</c> or
    /// <c>stage/file</c> when the first segment names a stage of the pipeline, otherwise a path.
    /// A leading <c>file:</c> forces a path.
    /// </summary>
    public static InputRef Parse(string text, IReadOnlySet<string> stageNames, string baseDir)
    {
        if (text.StartsWith("file:", StringComparison.Ordinal))
            return new FileRef(Path.GetFullPath(text[5..], baseDir), text[5..]);
        var slash = text.IndexOf('/');
        var head = slash < 0 ? text : text[..slash];
        if (stageNames.Contains(head))
            return new StageRef(head, slash < 0 ? null : text[(slash + 1)..]);
        return new FileRef(Path.GetFullPath(text, baseDir), text);
    }
}

/// <summary>The output of stage <paramref name="Stage"/>; <paramref name="File"/> selects one file of it.</summary>
public sealed record StageRef(string Stage, string? File) : InputRef
{
    public override string ToString() => File is null ? Stage : $"{Stage}/{File}";
}

/// <summary>A file outside the store, keyed by its content. <paramref name="Written"/> is the path as the user wrote it.</summary>
public sealed record FileRef(string FullPath, string Written) : InputRef
{
    public override string ToString() => Written;
}

/// <summary>The ordered references of a list input (<see cref="Stages.InputDecl.Many"/>).</summary>
public sealed record ListRef(System.Collections.Immutable.ImmutableArray<InputRef> Items) : InputRef
{
    public bool Equals(ListRef? other) => other is not null && Items.SequenceEqual(other.Items);
    public override int GetHashCode() => Items.Aggregate(Items.Length, (h, i) => HashCode.Combine(h, i));
    public override string ToString() => "[" + string.Join(", ", Items) + "]";

    /// <summary>The single references an input holds: itself, or a list's elements in order.</summary>
    public static IEnumerable<InputRef> Flatten(InputRef r) => r is ListRef l ? l.Items : [r];
}
