namespace Chat.Server.Tests.LoadTests;

/// <summary>
/// The 1,000-client runs, one at a time and after the parallel tests (DisableParallelization): each run keeps
/// both cores busy, which would only slow the other tests down and make these runs longer.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class LoadRunCollection
{
    public const string Name = "1,000-client load runs";
}
