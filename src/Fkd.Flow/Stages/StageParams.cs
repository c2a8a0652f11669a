using LanguageExt;
using static LanguageExt.Prelude;

namespace Fkd.Flow.Stages;

/// <summary>What is wrong with one parameter of a bound params record (its JSON name), found before anything runs.</summary>
public sealed record ParamProblem(string Param, string Message);

/// <summary>
/// A stage kind's parameters as one immutable record: each property carries a <see cref="ParamAttribute"/>.
/// Rules that one field's type and range cannot say (values in pairs, a divisor of the image side, every
/// item positive) go in <see cref="Rules"/>; spec validation runs them with the rest, so every problem is
/// reported with its JSON path before any stage runs.
/// </summary>
public interface IStageParams
{
    Validation<ParamProblem, Unit> Rules() => Success<ParamProblem, Unit>(unit);
}

/// <summary>The params record of a stage kind that takes none.</summary>
public sealed record NoParams : IStageParams;

/// <summary>Small combinators for <see cref="IStageParams.Rules"/>: every failing check is kept.</summary>
public static class ParamRules
{
    public static readonly Validation<ParamProblem, Unit> Ok = Success<ParamProblem, Unit>(unit);

    public static Validation<ParamProblem, Unit> Check(bool holds, string param, string message) =>
        holds ? Ok : Fail<ParamProblem, Unit>(new ParamProblem(param, message));

    /// <summary>All checks: success when every one holds, else every failure, in order.</summary>
    public static Validation<ParamProblem, Unit> All(params Validation<ParamProblem, Unit>[] checks)
    {
        var failures = checks.SelectMany(c => c.FailToSeq()).ToSeq();
        return failures.IsEmpty ? Ok : Fail<ParamProblem, Unit>(failures);
    }

    /// <summary>A per-item rule over a list parameter: each failing item is named by its index.</summary>
    public static Validation<ParamProblem, Unit> Each<T>(IEnumerable<T> items, string param, Func<T, bool> holds, string expected) =>
        All([.. items.Select((x, i) => Check(holds(x), param, FormattableString.Invariant($"item {i}: expected {expected}, found {x}")))]);
}
