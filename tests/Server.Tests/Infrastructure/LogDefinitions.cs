using System.Reflection;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging;

namespace Chat.Server.Tests.Infrastructure;

/// <summary>
/// The <c>[LoggerMessage]</c> definitions of an assembly, read two ways: compiled (their event ids) and in the source
/// (which files define them), for the tests that keep one log file per assembly with every id used once.
/// </summary>
internal static partial class LogDefinitions
{
    public static IReadOnlyList<(MethodInfo Method, LoggerMessageAttribute Attribute)> Compiled(Assembly assembly) =>
        assembly.GetTypes()
            .SelectMany(t => t.GetMethods(BindingFlags.Static | BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly))
            .Select(m => (Method: m, Attribute: m.GetCustomAttribute<LoggerMessageAttribute>()!))
            .Where(m => m.Attribute is not null)
            .ToList();

    /// <summary>One line per event id that more than one method uses, naming them; empty when every id is used once.</summary>
    public static IReadOnlyList<string> SharedIds(IEnumerable<(MethodInfo Method, LoggerMessageAttribute Attribute)> messages) =>
        messages.GroupBy(m => m.Attribute.EventId)
            .Where(g => g.Count() > 1)
            .Select(g => $"{g.Key}: {string.Join(", ", g.Select(m => $"{m.Method.DeclaringType!.Name}.{m.Method.Name}"))}")
            .ToList();

    /// <summary>The C# files under a project folder of the repository that define a log message, as "Folder/Sub/File.cs".</summary>
    public static IReadOnlySet<string> SourceFiles(string projectFolder)
    {
        var root = RepositoryFiles.Path(projectFolder);
        return Directory.EnumerateFiles(root, "*.cs", SearchOption.AllDirectories)
            .Select(path => Path.GetRelativePath(RepositoryFiles.Root, path).Replace('\\', '/'))
            .Where(path => !path.Split('/').Any(part => part is "bin" or "obj"))
            .Where(path => Attribute().IsMatch(File.ReadAllText(RepositoryFiles.Path(path))))
            .ToHashSet(StringComparer.Ordinal);
    }

    /// <summary>
    /// The attribute however it is spelled (<c>[LoggerMessage(</c>, <c>[LoggerMessageAttribute(</c>, qualified, second in
    /// an attribute list), and the older <c>LoggerMessage.Define</c>.
    /// </summary>
    [GeneratedRegex(@"[\[,.\s]LoggerMessage(Attribute)?\s*\(|\bLoggerMessage\s*\.\s*Define")]
    private static partial Regex Attribute();
}
