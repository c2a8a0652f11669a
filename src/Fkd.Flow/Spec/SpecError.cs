namespace Fkd.Flow.Spec;

/// <summary>One problem with a pipeline spec, located by its JSON path (e.g. <c>$.stages.train.params.epochs</c>).</summary>
public sealed record SpecError(string Path, string Message)
{
    public override string ToString() => $"{Path}: {Message}";
}
