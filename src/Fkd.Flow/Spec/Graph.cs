using System.Collections.Immutable;

namespace Fkd.Flow.Spec;

/// <summary>Dependency order and cycle detection over stage references.</summary>
public static class Graph
{
    public static IEnumerable<string> Upstream(StageSpec s) =>
        s.Inputs.Values.SelectMany(ListRef.Flatten).OfType<StageRef>().Select(r => r.Stage).Distinct();

    /// <summary>Each distinct cycle once, as the list of stage names along it.</summary>
    public static ImmutableArray<ImmutableArray<string>> Cycles(ImmutableArray<StageSpec> stages)
    {
        var byName = stages.ToDictionary(s => s.Name);
        var state = new Dictionary<string, int>(); // 0 new, 1 on stack, 2 done
        var stack = new List<string>();
        var found = ImmutableArray.CreateBuilder<ImmutableArray<string>>();
        var seen = new HashSet<string>();

        void Visit(string n)
        {
            state[n] = 1;
            stack.Add(n);
            foreach (var up in Upstream(byName[n]).Where(byName.ContainsKey))
            {
                var st = state.GetValueOrDefault(up);
                if (st == 0) Visit(up);
                else if (st == 1)
                {
                    var cyc = stack.Skip(stack.IndexOf(up)).Reverse().ToImmutableArray();
                    var id = string.Join(",", cyc.Order(StringComparer.Ordinal));
                    if (seen.Add(id)) found.Add(cyc);
                }
            }
            stack.RemoveAt(stack.Count - 1);
            state[n] = 2;
        }

        foreach (var s in stages)
            if (state.GetValueOrDefault(s.Name) == 0) Visit(s.Name);
        return found.ToImmutable();
    }

    /// <summary>Stages in an order where every stage comes after the stages it reads (the spec must be acyclic).</summary>
    public static ImmutableArray<StageSpec> TopologicalOrder(ImmutableArray<StageSpec> stages)
    {
        var byName = stages.ToDictionary(s => s.Name);
        var done = new HashSet<string>();
        var order = ImmutableArray.CreateBuilder<StageSpec>();
        void Visit(StageSpec s)
        {
            if (!done.Add(s.Name)) return;
            foreach (var up in Upstream(s)) Visit(byName[up]);
            order.Add(s);
        }
        foreach (var s in stages) Visit(s);
        return order.ToImmutable();
    }
}
