using Fkd.Stages.Torch;
using Mono.Cecil;
using Mono.Cecil.Cil;

namespace Fkd.Stages.Tests.Torch;

/// <summary>
/// TorchSharp 0.107 turns a .NET number into a <c>Scalar</c> that nothing references once its handle is
/// read, so a collection on another thread can finalize it while libtorch still reads it (a failed
/// "toFloat" check at best, a wrong number at worst). It does so in our code wherever a number is passed
/// as a Scalar, and inside TorchSharp in calls as plain as <c>a - b</c> (alpha 1) or a LeakyReLU's forward
/// (its slope). This reads the IL of Fkd.Stages and of TorchSharp and lists every call that can hand
/// libtorch such a temporary: every one must be replaced by a call with a Scalar we keep alive.
/// </summary>
public sealed class TemporaryScalarTests
{
    [Fact]
    public void Nothing_in_the_stages_hands_libtorch_a_scalar_it_does_not_keep_alive()
    {
        var offences = TemporaryScalars.Offences(typeof(ModelFactory).Assembly.Location, typeof(TorchSharp.torch).Assembly.Location);
        Assert.True(offences.Count == 0, "calls that make a temporary Scalar:\n" + string.Join("\n", offences));
    }

    [Fact]
    public void The_check_sees_the_kinds_of_temporaries_it_looks_for()
    {
        var makers = TemporaryScalars.Makers(ModuleDefinition.ReadModule(typeof(TorchSharp.torch).Assembly.Location));
        // The ones that failed or could fail our trainings: a + b passes alpha 1, a - 0.5 and square() convert
        // their numbers, LeakyReLU and ELU their doubles on every forward.
        Assert.Contains("TorchSharp.torch/Tensor::op_Addition(TorchSharp.torch/Tensor,TorchSharp.torch/Tensor)", makers);
        Assert.Contains("TorchSharp.torch/Tensor::add(TorchSharp.torch/Tensor)", makers);
        Assert.Contains("TorchSharp.torch/Tensor::op_Subtraction(TorchSharp.torch/Tensor,System.Double)", makers);
        Assert.Contains("TorchSharp.torch/Tensor::square()", makers);
        Assert.Contains("TorchSharp.Modules.LeakyReLU::forward(TorchSharp.torch/Tensor)", makers);
        Assert.Contains("TorchSharp.Modules.ELU::forward(TorchSharp.torch/Tensor)", makers);
        // BatchNorm's forward counts batches with num_batches_tracked.add_(1): a Scalar for 1 and another for alpha.
        Assert.Contains("TorchSharp.Modules.BatchNorm::forward(TorchSharp.torch/Tensor)", makers);
        // and not the ones that take numbers as doubles all the way down.
        Assert.DoesNotContain("TorchSharp.Modules.Conv2d::forward(TorchSharp.torch/Tensor)", makers);
        Assert.DoesNotContain("TorchSharp.torch/Tensor::mul(TorchSharp.torch/Tensor)", makers);
        Assert.DoesNotContain("TorchSharp.torch/Tensor::sub(TorchSharp.torch/Tensor)", makers);
    }
}

/// <summary>Finds calls that create a TorchSharp Scalar and hand it on without keeping it (see <see cref="TemporaryScalarTests"/>).</summary>
internal static class TemporaryScalars
{
    public static IReadOnlyList<string> Offences(string assemblyPath, string torchPath)
    {
        var torch = ModuleDefinition.ReadModule(torchPath);
        var makers = Makers(torch);
        var ours = ModuleDefinition.ReadModule(assemblyPath);
        var offences = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var method in ours.GetTypes().SelectMany(t => t.Methods).Where(m => m.HasBody))
        {
            foreach (var i in method.Body.Instructions)
            {
                if (i.Operand is not MethodReference callee || !IsCall(i)) continue;
                var where = $"{method.DeclaringType.FullName}::{method.Name}";
                if (IsConversion(callee))
                {
                    if (!IsStored(i.Next)) offences.Add($"{where}: a number passed as a temporary Scalar ({callee.Name})");
                }
                else if (makers.Contains(Key(callee)))
                    offences.Add($"{where}: {Key(callee)} makes a temporary Scalar");
                else if (callee.ReturnType.Resolve() is { } returned && returned.Module.Assembly.Name.Name == torch.Assembly.Name.Name &&
                         Forward(returned) is { } forward && makers.Contains(Key(forward)))
                    offences.Add($"{where}: {returned.FullName}'s forward ({Key(forward)}) makes a temporary Scalar");
            }
        }
        return offences.ToList();
    }

    /// <summary>TorchSharp's methods that make a temporary Scalar, themselves or through a TorchSharp method they call (to a fixpoint).</summary>
    public static HashSet<string> Makers(ModuleDefinition torch)
    {
        var calls = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        var makers = new HashSet<string>(StringComparer.Ordinal);
        foreach (var method in torch.GetTypes().SelectMany(t => t.Methods).Where(m => m.HasBody && !IsConversion(m)))
        {
            var key = Key(method);
            var list = new List<string>();
            foreach (var i in method.Body.Instructions)
            {
                if (i.Operand is not MethodReference callee || !IsCall(i)) continue;
                if (!IsConversion(callee)) list.Add(Key(callee));
                else if (!IsStored(i.Next)) makers.Add(key);
            }
            calls[key] = list;
        }
        for (var changed = true; changed;)
        {
            changed = false;
            foreach (var (method, callees) in calls)
                if (!makers.Contains(method) && callees.Any(makers.Contains)) changed = makers.Add(method) || changed;
        }
        return makers;
    }

    /// <summary>The forward a module of this type runs: its own or the nearest base type's (BatchNorm2d inherits BatchNorm's).</summary>
    private static MethodDefinition? Forward(TypeDefinition? type)
    {
        for (; type is not null; type = type.BaseType?.Resolve())
            if (type.Methods.FirstOrDefault(m => m.Name == "forward" && m.HasBody) is { } own) return own;
        return null;
    }

    private static bool IsCall(Instruction i) => i.OpCode.Code is Code.Call or Code.Callvirt or Code.Newobj;

    /// <summary>A .NET number made into a Scalar: the implicit operators and the To*Scalar extensions.</summary>
    private static bool IsConversion(MethodReference m) =>
        m.ReturnType.FullName == "TorchSharp.Scalar" && m.Name != "get_Item" &&
        (m.Name == "op_Implicit" || (m.Name.StartsWith("To", StringComparison.Ordinal) && m.Name.EndsWith("Scalar", StringComparison.Ordinal)));

    /// <summary>Stored in a local or a field (ours are all in <c>using</c> declarations or module fields).</summary>
    private static bool IsStored(Instruction? next) =>
        next?.OpCode.Code is Code.Stloc or Code.Stloc_S or Code.Stloc_0 or Code.Stloc_1 or Code.Stloc_2 or Code.Stloc_3
            or Code.Stfld or Code.Stsfld;

    private static string Key(MethodReference m) =>
        $"{m.DeclaringType.FullName}::{m.Name}({string.Join(",", m.Parameters.Select(p => p.ParameterType.FullName))})";
}
