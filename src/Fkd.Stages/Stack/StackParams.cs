using LanguageExt;
using static Fkd.Flow.Stages.ParamRules;

namespace Fkd.Stages.Stack;

/// <summary>The meta-regressor's features: each model's 30 predictions (linear), or those and the 435 products within each model's 30 (pairwise).</summary>
public enum StackFeatureSet { Linear, Pairwise }

/// <summary>ridge: L2 penalty alpha; elastic-net: alpha split into an l1_ratio L1 share and the rest L2 (sparse weights).</summary>
public enum MetaRegressor { Ridge, ElasticNet }

public sealed record StackParams : IStageParams
{
    [Param("models", "how many base models; the oof list is grouped models × folds", Min = 1)]
    public int Models { get; init; } = 2;

    [Param("features", "linear: the 30 predictions per model; pairwise: also the 435 products within each model's 30")]
    public StackFeatureSet Features { get; init; } = StackFeatureSet.Linear;

    [Param("meta", "ridge: L2 penalty alpha; elastic-net: alpha split into l1_ratio L1 and the rest L2 (sparse weights)")]
    public MetaRegressor Meta { get; init; } = MetaRegressor.Ridge;

    [Param("l1_ratio", "elastic-net only: the L1 share of the penalty", Min = 0.01, Max = 1)]
    public double L1Ratio { get; init; } = 0.5;

    [Param("alpha", "penalty on standardised features (when alphas is empty)", Min = 1e-12)]
    public double Alpha { get; init; } = 1.0;

    [Param("alphas", "candidate penalties: when given, alpha is chosen among them by cross-validation over the truth rows' fold tags")]
    public ImmutableArray<double> Alphas { get; init; } = [];

    /// <summary>The L1 share the solver uses: 0 for the ridge.</summary>
    public double SolverL1Ratio => Meta == MetaRegressor.ElasticNet ? L1Ratio : 0;

    public Validation<ParamProblem, Unit> Rules() => Each(Alphas, "alphas", a => a > 0, "a penalty > 0");
}
