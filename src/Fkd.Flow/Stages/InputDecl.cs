namespace Fkd.Flow.Stages;

/// <summary>What an input accepts: a whole stage output, a single file (a file on disk or one file of a stage output), or either.</summary>
public enum InputShape { Entry, File }

/// <summary>
/// An input a stage kind takes. Optional inputs may be left out of the spec. A <paramref name="Many"/>
/// input takes an ordered list of references (a JSON array), each of the given shape.
/// </summary>
public sealed record InputDecl(string Name, InputShape Shape, string Description, bool Optional = false, bool Many = false);
