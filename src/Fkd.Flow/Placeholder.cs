namespace Fkd.Flow; internal static class Placeholder {}
