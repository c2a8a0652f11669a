using System.Text.RegularExpressions;

namespace Fkd.Stages.Tests;

/// <summary>
/// The shape the project promises: one folder per stage kind under src/Fkd.Stages, no cycles between
/// folders (a folder's namespace is its name), and a tests folder of the same name for each.
/// </summary>
public sealed class LayoutTests
{
    private static readonly string Src = RepoPaths.InRepo("src", "Fkd.Stages");

    private static IReadOnlyList<string> Folders =>
        [.. Directory.GetDirectories(Src).Select(Path.GetFileName).OfType<string>().Where(n => n is not ("bin" or "obj")).Order(StringComparer.Ordinal)];

    /// <summary>Folder → the other folders its files name, by <c>using Fkd.Stages.X</c> or a qualified <c>Fkd.Stages.X.</c>.</summary>
    private static Dictionary<string, SortedSet<string>> Dependencies()
    {
        var names = Folders.ToHashSet();
        var reference = new Regex(@"\bFkd\.Stages\.(\w+)\b");
        var graph = new Dictionary<string, SortedSet<string>>();
        foreach (var folder in Folders)
        {
            var deps = new SortedSet<string>(StringComparer.Ordinal);
            foreach (var file in Directory.GetFiles(Path.Combine(Src, folder), "*.cs", SearchOption.AllDirectories))
                foreach (Match m in reference.Matches(File.ReadAllText(file)))
                    if (names.Contains(m.Groups[1].Value) && m.Groups[1].Value != folder) deps.Add(m.Groups[1].Value);
            graph[folder] = deps;
        }
        return graph;
    }

    [Fact]
    public void Every_file_declares_the_namespace_of_its_folder()
    {
        var wrong = Folders.SelectMany(f => Directory.GetFiles(Path.Combine(Src, f), "*.cs")
            .Where(file => !File.ReadAllText(file).Contains($"namespace Fkd.Stages.{f};"))
            .Select(file => $"{f}/{Path.GetFileName(file)}")).ToList();
        Assert.Empty(wrong);
    }

    [Fact]
    public void No_cycles_between_folders()
    {
        var graph = Dependencies();
        var state = new Dictionary<string, int>(); // 1 = on the path, 2 = done
        var path = new List<string>();
        List<string>? cycle = null;
        void Visit(string n)
        {
            if (cycle is not null) return;
            state[n] = 1; path.Add(n);
            foreach (var d in graph[n])
            {
                if (state.GetValueOrDefault(d) == 1) { cycle = [.. path.SkipWhile(p => p != d), d]; return; }
                if (state.GetValueOrDefault(d) == 0) Visit(d);
                if (cycle is not null) return;
            }
            path.RemoveAt(path.Count - 1); state[n] = 2;
        }
        foreach (var n in graph.Keys) if (state.GetValueOrDefault(n) == 0) Visit(n);
        Assert.True(cycle is null, "cycle between folders: " + string.Join(" → ", cycle ?? []));
        // The shared layers depend on no stage folder (Faces is imported by every file, see Fkd.Stages.csproj).
        Assert.Empty(graph["Faces"]);
        Assert.Empty(graph["Drawing"]);
        Assert.Empty(graph["Torch"]);
    }

    [Fact]
    public void Every_stage_folder_has_a_tests_folder_of_the_same_name()
    {
        var tests = RepoPaths.InRepo("tests", "Fkd.Stages.Tests");
        var missing = Folders.Where(f => !Directory.Exists(Path.Combine(tests, f)) || Directory.GetFiles(Path.Combine(tests, f), "*.cs").Length == 0).ToList();
        Assert.Empty(missing);
    }
}
