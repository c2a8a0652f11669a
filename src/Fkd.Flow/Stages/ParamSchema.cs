using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.Reflection;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using LanguageExt;
using static LanguageExt.Prelude;

namespace Fkd.Flow.Stages;

/// <summary>
/// The parameters of a params record, read once from its <see cref="ParamAttribute"/>s: the
/// declarations spec validation checks against (defaults taken from a fresh record), and the binding
/// of checked JSON values back to a record. The one bridge between JSON names and typed fields.
/// </summary>
public sealed class ParamSchema
{
    private static readonly ConcurrentDictionary<Type, ParamSchema> Cache = new();

    private readonly Type _type;
    private readonly ImmutableArray<(ParamDecl Decl, PropertyInfo Property)> _fields;

    public ImmutableArray<ParamDecl> Decls { get; }

    public static ParamSchema Of<T>() where T : IStageParams => Of(typeof(T));

    public static ParamSchema Of(Type type) => Cache.GetOrAdd(type, t => new ParamSchema(t));

    private ParamSchema(Type type)
    {
        if (!typeof(IStageParams).IsAssignableFrom(type))
            throw new ArgumentException($"{type.Name}: a params record implements IStageParams");
        _type = type;
        var defaults = CreateDefault(type);
        var fields = ImmutableArray.CreateBuilder<(ParamDecl, PropertyInfo)>();
        foreach (var p in type.GetProperties(BindingFlags.Public | BindingFlags.Instance).OrderBy(p => p.MetadataToken))
        {
            if (p.GetCustomAttribute<ParamAttribute>() is not { } a) continue;
            if (p.SetMethod is null) throw new ArgumentException($"{type.Name}.{p.Name}: a parameter needs an init accessor");
            var (kind, choices) = TypeOf(type, p, a);
            // An int field cannot hold more than an int: its range says so before anything runs.
            var narrow = p.PropertyType == typeof(int) || p.PropertyType == typeof(ImmutableArray<int>);
            double? min = double.IsNaN(a.Min) ? narrow ? int.MinValue : null : a.Min;
            double? max = double.IsNaN(a.Max) ? narrow ? int.MaxValue : null : a.Max;
            var decl = new ParamDecl(a.Name, kind, null, a.Help, choices, min, max, a.KeyAtDefault);
            if (!a.Required)
            {
                // The default is kept as its own check normalises it: the form a written value takes in the key.
                var raw = ToJson(p.GetValue(defaults), p.PropertyType);
                decl = decl with
                {
                    Default = decl.Check(raw).IfLeft(why => throw new ArgumentException($"{type.Name}.{p.Name}: the default {raw?.ToJsonString()} fails its own declaration: {why}")),
                };
            }
            if (fields.Any(f => f.Item1.Name == a.Name)) throw new ArgumentException($"{type.Name}: parameter '{a.Name}' declared twice");
            fields.Add((decl, p));
        }
        _fields = fields.ToImmutable();
        Decls = [.. _fields.Select(f => f.Decl)];
    }

    /// <summary>
    /// A record from checked parameters (every declared name present, values as <see cref="ParamDecl.Check"/>
    /// normalised them; a parameter kept out of keys at its default may be absent, as a key's parameters leave it).
    /// Names the record does not declare are ignored.
    /// </summary>
    public object Bind(IReadOnlyDictionary<string, JsonNode?> values)
    {
        var record = CreateDefault(_type);
        foreach (var (decl, p) in _fields)
        {
            if ((!values.TryGetValue(decl.Name, out var v) || v is null) && !decl.KeyAtDefault) v = decl.Default;
            if (v is null)
                throw new ArgumentException($"parameter '{decl.Name}' has no checked value");
            // Through the JSON text, so values built in code (CLR ints) read like parsed ones.
            p.SetValue(record, FromJson(JsonNode.Parse(v.ToJsonString())!, p.PropertyType));
        }
        return record;
    }

    public T Bind<T>(IReadOnlyDictionary<string, JsonNode?> values) where T : IStageParams => (T)Bind(values);

    /// <summary>Binds checked values and runs the record's cross-field rules.</summary>
    public Validation<ParamProblem, Unit> CheckRules(IReadOnlyDictionary<string, JsonNode?> values) =>
        ((IStageParams)Bind(values)).Rules();

    /// <summary>A record's values as the checked JSON the key is made of (the inverse of <see cref="Bind"/>).</summary>
    public ImmutableSortedDictionary<string, JsonNode> ToJson(object record) =>
        _fields.ToImmutableSortedDictionary(f => f.Decl.Name, f => ToJson(f.Property.GetValue(record), f.Property.PropertyType)!, StringComparer.Ordinal);

    /// <summary>
    /// A record with every default: from a constructor without arguments, or from a positional record's
    /// constructor whose parameters all have defaults (<c>[property: Param(...)] int Epochs = 10</c>).
    /// </summary>
    private static object CreateDefault(Type type)
    {
        if (type.GetConstructor(Type.EmptyTypes) is { } plain) return plain.Invoke(null);
        var ctor = type.GetConstructors().FirstOrDefault(c => c.GetParameters() is { Length: > 0 } ps && ps.All(x => x.HasDefaultValue))
                   ?? throw new ArgumentException($"{type.Name}: a params record needs a constructor whose parameters all have defaults");
        return ctor.Invoke([.. ctor.GetParameters().Select(x => x.DefaultValue)]);
    }

    /// <summary>The JSON name of an enum member: its JsonStringEnumMemberName, else the member name in kebab case (MarkMissing → mark-missing).</summary>
    public static string ChoiceName(Enum value)
    {
        var member = value.GetType().GetField(value.ToString())!;
        return member.GetCustomAttribute<JsonStringEnumMemberNameAttribute>()?.Name ?? Kebab(value.ToString());
    }

    private static string Kebab(string name)
    {
        var sb = new System.Text.StringBuilder();
        for (var i = 0; i < name.Length; i++)
        {
            if (i > 0 && char.IsUpper(name[i]) && char.IsLower(name[i - 1])) sb.Append('-');
            sb.Append(char.ToLowerInvariant(name[i]));
        }
        return sb.ToString();
    }

    private static (ParamType, ImmutableArray<string>) TypeOf(Type owner, PropertyInfo p, ParamAttribute a)
    {
        var t = p.PropertyType;
        if (t == typeof(int) || t == typeof(long)) return (ParamType.Int, default);
        if (t == typeof(double)) return (ParamType.Float, default);
        if (t == typeof(bool)) return (ParamType.Bool, default);
        if (t.IsEnum) return (ParamType.Enum, [.. Enum.GetValues(t).Cast<Enum>().Select(ChoiceName)]);
        if (t == typeof(string))
        {
            if (a.Choices is { } c) return (ParamType.Enum, [.. c]);
            if (a.ChoicesFrom is { } from)
            {
                var m = (MemberInfo?)owner.GetProperty(from, BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static)
                        ?? owner.GetField(from, BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static)
                        ?? throw new ArgumentException($"{owner.Name}.{p.Name}: ChoicesFrom names no static member '{from}'");
                var v = m is PropertyInfo pi ? pi.GetValue(null) : ((FieldInfo)m).GetValue(null);
                return (ParamType.Enum, [.. ((IEnumerable<string>)v!)]);
            }
            return (ParamType.String, default);
        }
        if (t == typeof(ImmutableArray<double>)) return (ParamType.FloatList, default);
        if (t == typeof(ImmutableArray<int>)) return (ParamType.IntList, default);
        if (t == typeof(ImmutableArray<string>)) return (ParamType.StringList, default);
        throw new ArgumentException($"{owner.Name}.{p.Name}: no parameter type for {t.Name}");
    }

    private static JsonNode? ToJson(object? value, Type t) => value switch
    {
        null => null,
        int i => JsonValue.Create((long)i),
        long l => JsonValue.Create(l),
        double d => JsonValue.Create(d),
        bool b => JsonValue.Create(b),
        string s => JsonValue.Create(s),
        Enum e => JsonValue.Create(ChoiceName(e)),
        ImmutableArray<double> a => new JsonArray([.. a.Select(x => (JsonNode?)JsonValue.Create(x))]),
        ImmutableArray<int> a => new JsonArray([.. a.Select(x => (JsonNode?)JsonValue.Create((long)x))]),
        ImmutableArray<string> a => new JsonArray([.. a.Select(x => (JsonNode?)JsonValue.Create(x))]),
        _ => throw new ArgumentException($"no JSON form for {t.Name}"),
    };

    private static object FromJson(JsonNode v, Type t)
    {
        if (t == typeof(int)) return checked((int)v.GetValue<long>());
        if (t == typeof(long)) return v.GetValue<long>();
        if (t == typeof(double)) return v.GetValue<double>();
        if (t == typeof(bool)) return v.GetValue<bool>();
        if (t == typeof(string)) return v.GetValue<string>();
        if (t.IsEnum)
        {
            var name = v.GetValue<string>();
            return Enum.GetValues(t).Cast<Enum>().First(e => ChoiceName(e) == name);
        }
        if (t == typeof(ImmutableArray<double>)) return v.AsArray().Select(x => x!.GetValue<double>()).ToImmutableArray();
        if (t == typeof(ImmutableArray<int>)) return v.AsArray().Select(x => checked((int)x!.GetValue<long>())).ToImmutableArray();
        if (t == typeof(ImmutableArray<string>)) return v.AsArray().Select(x => x!.GetValue<string>()).ToImmutableArray();
        throw new ArgumentException($"no parameter type for {t.Name}");
    }
}
