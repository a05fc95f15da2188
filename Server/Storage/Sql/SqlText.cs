using System.Data.Common;
using System.Text;

namespace Chat.Server.Storage.Sql;

/// <summary>Builders for the few statements whose shape depends on the number of rows.</summary>
internal static class SqlText
{
    /// <summary>Adds one parameter per value and returns "@p0, @p1, ..." for an IN list.</summary>
    public static string InList(DbCommand command, string prefix, IEnumerable<long> values)
    {
        var text = new StringBuilder();
        var i = 0;
        foreach (var value in values)
        {
            if (i > 0)
            {
                text.Append(", ");
            }

            var name = prefix + i.ToString(System.Globalization.CultureInfo.InvariantCulture);
            text.Append(name);
            command.With(name, value);
            i++;
        }

        return text.ToString();
    }
}
