namespace Fkd.Flow.Stages;

/// <summary>
/// Declares one stage parameter on a property of the stage's params record: its JSON name, help
/// text, range and choices in one place. The property's initial value is the default, and its CLR
/// type gives the JSON type (int or long: integer; double: number; bool; string — with choices, one
/// of them; an enum: one of its members' names in kebab case; ImmutableArray of those: an array).
/// The engine derives from these the schema that spec validation checks, the canonical parameters
/// of the key, <c>--set</c> parsing and help text.
/// </summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class ParamAttribute(string name, string help) : Attribute
{
    public string Name { get; } = name;
    public string Help { get; } = help;

    /// <summary>Smallest allowed value (numbers and integers); NaN = no bound.</summary>
    public double Min { get; set; } = double.NaN;

    /// <summary>Largest allowed value; NaN = no bound.</summary>
    public double Max { get; set; } = double.NaN;

    /// <summary>The allowed values of a string parameter.</summary>
    public string[]? Choices { get; set; }

    /// <summary>The allowed values of a string parameter, from a static property or field of the params record (for lists kept elsewhere, e.g. model names).</summary>
    public string? ChoicesFrom { get; set; }

    /// <summary>No default: the pipeline must give a value.</summary>
    public bool Required { get; set; }

    /// <summary>
    /// False for a parameter added to a kind after keys were made with it, whose default does what the kind did
    /// before: while the parameter has its default it is left out of the stage's key, so adding it keeps every
    /// existing key (and cached entry); another value enters the key as usual.
    /// </summary>
    public bool KeyAtDefault { get; set; } = true;
}
