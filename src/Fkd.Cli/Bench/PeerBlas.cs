using System.Text.Json.Nodes;

namespace Fkd.Cli.Bench;

/// <summary>
/// Which BLAS a PyTorch peer's linear layers ran on: the peers report it as "blas" (torch_models.blas). Debian's
/// python3-torch calls the system libblas.so.3, the reference implementation (one thread, no vector kernels) unless an
/// optimized one is installed; a linear layer then runs several times slower than PyTorch can (mlp: 540 images/s on
/// the reference BLAS, about 5,000 on OpenBLAS, one thread each), and a ratio against that peer flatters us. The
/// benches keep the figure but say so, in details and on stderr, rather than print a flattering ratio silently.
/// </summary>
public static class PeerBlas
{
    public const string Reference = "reference";

    public const string Warning =
        "PyTorch's linear layers ran on the reference BLAS (one thread, unoptimized): its figures understate PyTorch " +
        "and the ratios flatter us; install an optimized BLAS (Debian: apt-get install libopenblas0-pthread) and measure again";

    /// <summary>The BLAS each peer output names ("openblas", "reference", ...), distinct, in order; outputs without one are left out.</summary>
    public static IReadOnlyList<string> Of(IEnumerable<JsonObject?> outputs) =>
        [.. outputs.Select(o => o?["blas"] is JsonValue v && v.TryGetValue<string>(out var s) ? s : null).OfType<string>().Distinct()];

    /// <summary>Details fields for these peer outputs: "peer_blas" (a list) and, where any ran on the reference BLAS, "peer_warning".</summary>
    public static void AddTo(JsonObject details, IEnumerable<JsonObject?> outputs)
    {
        var kinds = Of(outputs);
        details["peer_blas"] = new JsonArray([.. kinds.Select(k => (JsonNode)k)]);
        if (kinds.Contains(Reference))
        {
            details["peer_warning"] = Warning;
            System.Console.Error.WriteLine("warning: " + Warning);
        }
    }
}
