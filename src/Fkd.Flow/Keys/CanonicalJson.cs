using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Fkd.Flow.Keys;

/// <summary>
/// One spelling per JSON value: object keys sorted ordinally, no whitespace, integers without a
/// fraction, other numbers in round-trip form. Two values that mean the same thing hash the same.
/// </summary>
public static class CanonicalJson
{
    public static string Write(JsonNode? node)
    {
        var sb = new StringBuilder();
        Append(sb, node);
        return sb.ToString();
    }

    private static void Append(StringBuilder sb, JsonNode? node)
    {
        switch (node)
        {
            case null:
                sb.Append("null");
                break;
            case JsonObject o:
                sb.Append('{');
                var first = true;
                foreach (var (k, v) in o.OrderBy(p => p.Key, StringComparer.Ordinal))
                {
                    if (!first) sb.Append(',');
                    first = false;
                    sb.Append(JsonSerializer.Serialize(k)).Append(':');
                    Append(sb, v);
                }
                sb.Append('}');
                break;
            case JsonArray a:
                sb.Append('[');
                for (var i = 0; i < a.Count; i++)
                {
                    if (i > 0) sb.Append(',');
                    Append(sb, a[i]);
                }
                sb.Append(']');
                break;
            case JsonValue v:
                switch (v.GetValueKind())
                {
                    case JsonValueKind.Number:
                        // Re-read through the JSON text: a node built from a CLR int will not convert to double itself.
                        var el = JsonDocument.Parse(v.ToJsonString()).RootElement;
                        if (el.TryGetInt64(out var l)) sb.Append(l.ToString(CultureInfo.InvariantCulture));
                        else
                        {
                            var d = el.GetDouble();
                            sb.Append(d == Math.Floor(d) && Math.Abs(d) < 1e15
                                ? ((long)d).ToString(CultureInfo.InvariantCulture)
                                : d.ToString("R", CultureInfo.InvariantCulture));
                        }
                        break;
                    case JsonValueKind.String:
                        sb.Append(JsonSerializer.Serialize(v.GetValue<string>()));
                        break;
                    default:
                        sb.Append(v.ToJsonString());
                        break;
                }
                break;
        }
    }
}
