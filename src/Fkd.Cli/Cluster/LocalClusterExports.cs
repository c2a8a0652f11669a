namespace Fkd.Cli.Cluster;

/// <summary>What <c>deploy/local-cluster.sh up</c> prints (and keeps in its state folder's <c>env</c>): <c>export NAME='value'</c> lines.</summary>
public static class LocalClusterExports
{
    /// <summary>The variables those lines set; the text must set FKD_DB, or the cluster did not come up.</summary>
    public static Dictionary<string, string> Parse(string text)
    {
        var env = new Dictionary<string, string>();
        foreach (var line in text.Split('\n'))
            if (line.StartsWith("export ", StringComparison.Ordinal) && line.IndexOf('=') is var eq and > 7)
                env[line[7..eq]] = line[(eq + 1)..].Trim().Trim('\'');
        return env.ContainsKey("FKD_DB") ? env : throw new InvalidOperationException($"local-cluster.sh up printed no FKD_DB: {text.Trim()}");
    }
}
