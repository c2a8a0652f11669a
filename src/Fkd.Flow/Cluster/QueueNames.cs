namespace Fkd.Flow.Cluster;

/// <summary>The queues stage jobs go to. Hangfire takes lowercase letters, digits, '_' and '-' in a queue's name.</summary>
public static class QueueNames
{
    public const string Cpu = "cpu";
    public const string Gpu = "gpu";

    public static bool IsValid(string q) => q.Length is > 0 and <= 50 && q.All(c => c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '_' or '-');
}
