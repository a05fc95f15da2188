using System.Text.RegularExpressions;
using Chat.Server.Accounts;

namespace Chat.Server.Tests.Infrastructure;

/// <summary>
/// Stands in for the phones: keeps every text sent, per number, so tests read the code a user would see. A reset
/// code is delivered after the server's answer, so tests wait for it (<see cref="CodeAsync"/>); <see cref="Hold"/>
/// makes deliveries wait, as a slow provider would.
/// </summary>
public sealed partial class CapturingSmsSender : ISmsSender
{
    private readonly Dictionary<string, List<string>> _texts = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();
    private TaskCompletionSource? _held;
    private int _count;

    public int Sent => Volatile.Read(ref _count);

    public async Task SendAsync(string phone, string text, CancellationToken cancellationToken)
    {
        if (Volatile.Read(ref _held) is { } held)
        {
            await held.Task.WaitAsync(cancellationToken);
        }

        lock (_lock)
        {
            if (!_texts.TryGetValue(phone, out var list))
            {
                _texts[phone] = list = [];
            }

            list.Add(text);
        }

        Interlocked.Increment(ref _count);
    }

    /// <summary>Deliveries wait from now on until <see cref="Release"/>.</summary>
    public void Hold() => Volatile.Write(ref _held, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));

    public void Release() => Interlocked.Exchange(ref _held, null)?.TrySetResult();

    public bool HasText(string phone) => TextsTo(phone) > 0;

    /// <summary>How many texts the phone has had.</summary>
    public int TextsTo(string phone)
    {
        lock (_lock)
        {
            return _texts.TryGetValue(phone, out var list) ? list.Count : 0;
        }
    }

    /// <summary>The six-digit code in the last text sent to the phone (one the server delivered before it answered).</summary>
    public string LastCode(string phone)
    {
        lock (_lock)
        {
            return _texts.TryGetValue(phone, out var list) && list.Count > 0
                ? SixDigits().Match(list[^1]).Value
                : throw new InvalidOperationException($"no SMS was sent to {phone}");
        }
    }

    /// <summary>Waits (a hang guard bounds it) for the phone's text number <paramref name="index"/> (0-based) and returns its code.</summary>
    public async Task<string> CodeAsync(string phone, int index, CancellationToken cancellationToken = default)
    {
        using var guard = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        guard.CancelAfter(TimeSpan.FromSeconds(60));
        while (true)
        {
            lock (_lock)
            {
                if (_texts.TryGetValue(phone, out var list) && list.Count > index)
                {
                    return SixDigits().Match(list[index]).Value;
                }
            }

            await Task.Delay(10, guard.Token);
        }
    }

    [GeneratedRegex("[0-9]{6}")]
    private static partial Regex SixDigits();
}
