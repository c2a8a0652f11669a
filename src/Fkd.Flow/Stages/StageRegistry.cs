using System.Collections.Immutable;

namespace Fkd.Flow.Stages;

/// <summary>The stage kinds a pipeline may use, by kind name. Built once by the composition root.</summary>
public sealed class StageRegistry
{
    private readonly ImmutableSortedDictionary<string, IStage> _kinds;

    public StageRegistry(IEnumerable<IStage> stages)
    {
        var b = ImmutableSortedDictionary.CreateBuilder<string, IStage>(StringComparer.Ordinal);
        foreach (var s in stages)
            if (!b.TryAdd(s.Kind, s)) throw new ArgumentException($"stage kind '{s.Kind}' registered twice");
        _kinds = b.ToImmutable();
    }

    public IStage? Find(string kind) => _kinds.GetValueOrDefault(kind);

    public IEnumerable<IStage> All => _kinds.Values;
}
