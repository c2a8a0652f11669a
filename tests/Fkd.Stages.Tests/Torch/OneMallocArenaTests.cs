using System.Text;
using Fkd.Stages.Torch;

namespace Fkd.Stages.Tests.Torch;

public sealed class OneMallocArenaTests
{
    [Theory]
    [InlineData("dotnet\0Fkd.Cli.dll\0run\0pipelines/full.json\0", new[] { "dotnet", "Fkd.Cli.dll", "run", "pipelines/full.json" })]
    [InlineData("dotnet\0a b.dll\0--set\0x=ü\0", new[] { "dotnet", "a b.dll", "--set", "x=ü" })]
    [InlineData("dotnet\0\0last\0", new[] { "dotnet", "", "last" })] // an empty argument stays an argument
    [InlineData("no-terminator", new[] { "no-terminator" })]
    [InlineData("", new string[0])]
    public void Proc_cmdline_splits_into_the_arguments(string cmdline, string[] expected) =>
        Assert.Equal(expected, OneMallocArena.SplitCmdline(Encoding.UTF8.GetBytes(cmdline)));
}
