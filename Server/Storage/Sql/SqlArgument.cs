namespace Chat.Server.Storage.Sql;

/// <summary>
/// The one parameter of a <see cref="SqlDatabase.ReadRowsAsync{TState}"/> read: a number or a text, kept unboxed so
/// that SQLite binds it straight from here.
/// </summary>
internal readonly struct SqlArgument
{
    private SqlArgument(long number, string? text)
    {
        Number = number;
        Text = text;
    }

    public long Number { get; }

    /// <summary>The text, or null for a number.</summary>
    public string? Text { get; }

    public object Boxed => Text ?? (object)Number;

    public static implicit operator SqlArgument(long number) => new(number, null);

    public static implicit operator SqlArgument(string text) => new(0, text ?? throw new ArgumentNullException(nameof(text)));
}
