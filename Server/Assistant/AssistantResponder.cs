using System.Globalization;
using Chat.Server.Hosting;
using Chat.Server.Messaging;
using Chat.Server.Sessions;
using Chat.Server.Storage;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Chat.Server.Assistant;

/// <summary>
/// The assistant's replies in chats: every message in a user's direct chat with the assistant, and a slash
/// command (/weather, /天气, /joke, /笑话) in any chat, is answered by an ordinary stored message from the
/// assistant in the same conversation, pushed to every member's devices, so it is in history and on every device.
/// </summary>
/// <remarks>
/// The reply is produced in the background after the user's message was acked and pushed: the sender never waits
/// for the weather provider. Background work is bounded twice: at most <see cref="AssistantOptions.MaxConcurrentReplies"/>
/// run at once and at most <see cref="AssistantOptions.MaxQueuedReplies"/> wait; the provider's own timeout bounds
/// each lookup, and a provider failure becomes a reply saying so.
/// </remarks>
public sealed class AssistantResponder : IMessageSentObserver, IHostedService, IDisposable
{
    private readonly IAssistantIdentity _identity;
    private readonly ConversationDirectory _directory;
    private readonly ServerMessages _serverMessages;
    private readonly IWeatherProvider _weather;
    private readonly JokePicker _jokes;
    private readonly MessageSentObservers _observers;
    private readonly ILogger<AssistantResponder> _logger;
    private readonly SemaphoreSlim _slots;
    private readonly int _maxQueued;
    private readonly CancellationTokenSource _stopping = new();

    // Completed when the last pending reply ends after shutdown began, so that Dispose never pulls the semaphore
    // and the token source from under a reply still unwinding.
    private readonly TaskCompletionSource _drained = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _pending;

    public AssistantResponder(
        IAssistantIdentity identity,
        ConversationDirectory directory,
        ServerMessages serverMessages,
        IWeatherProvider weather,
        JokePicker jokes,
        MessageSentObservers observers,
        IOptions<AssistantOptions> options,
        ILogger<AssistantResponder> logger)
    {
        _identity = identity;
        _directory = directory;
        _serverMessages = serverMessages;
        _weather = weather;
        _jokes = jokes;
        _observers = observers;
        _logger = logger;
        _slots = new SemaphoreSlim(Math.Max(1, options.Value.MaxConcurrentReplies));
        _maxQueued = Math.Max(1, options.Value.MaxConcurrentReplies) + Math.Max(0, options.Value.MaxQueuedReplies);
    }

    /// <summary>Decides on the request path (cheap: a membership test and a look at the first character) and replies in the background.</summary>
    public void OnMessageSent(ChatSession sender, ConversationInfo conversation, MessageWrite message)
    {
        var assistantId = _identity.UserId;
        if (assistantId == 0 || message.SenderId == assistantId || _stopping.IsCancellationRequested)
        {
            return;
        }

        var language = AssistantLanguageTag.Parse(sender.Language);
        var withAssistant = conversation.Kind == ConversationKind.Direct && conversation.Contains(assistantId);
        if (!AssistantCommandParser.TryParse(message.Text, language, out var command) && !withAssistant)
        {
            return;
        }

        if (Interlocked.Increment(ref _pending) > _maxQueued)
        {
            Interlocked.Decrement(ref _pending);
            _logger.AssistantReplyDropped(message.SenderId, conversation.Id);
            return;
        }

        _ = ReplyAsync(message.SenderId, conversation.Id, async stopping =>
            (conversation, await ComposeAsync(message.SenderId, language, command, stopping)));
    }

    /// <summary>
    /// Tells a user something from the assistant, in their direct chat with it (stored, on every device, in history):
    /// the server's own notices to an account's owner. In the background, bounded like replies; false when the
    /// assistant is off or too busy, and the notice is not sent.
    /// </summary>
    public bool Tell(long userId, string text)
    {
        var assistantId = _identity.UserId;
        if (assistantId == 0 || _stopping.IsCancellationRequested)
        {
            return false;
        }

        if (Interlocked.Increment(ref _pending) > _maxQueued)
        {
            Interlocked.Decrement(ref _pending);
            _logger.AssistantReplyDropped(userId, 0);
            return false;
        }

        _ = ReplyAsync(userId, 0, async stopping => (await _directory.GetDirectAsync(userId, assistantId, stopping), text));
        return true;
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _observers.Add(this);
        return Task.CompletedTask;
    }

    /// <summary>Stops waiting for slots and providers (a reply cut short here is simply not sent) and waits for the replies to unwind.</summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        _observers.Remove(this);
        await _stopping.CancelAsync();
        if (Volatile.Read(ref _pending) > 0)
        {
            await _drained.Task.WaitAsync(cancellationToken);
        }
    }

    public void Dispose()
    {
        _stopping.Dispose();
        _slots.Dispose();
    }

    internal static string Help(AssistantLanguage language) => language == AssistantLanguage.English
        ? "Hi, I'm the assistant. Send /weather <city> for the weather (for example /weather London) or /joke for a joke. The commands work in any chat, groups too."
        : "你好，我是小助手。发送 /天气 城市名 查天气（例如 /天气 北京），发送 /笑话 听个笑话。这些命令在任何聊天里都能用，群聊也可以。";

    /// <summary>Composes (in a slot) and posts one message of the assistant; never throws. <paramref name="conversationId"/> only names it in a log.</summary>
    private async Task ReplyAsync(long requesterId, long conversationId, Func<CancellationToken, Task<(ConversationInfo Conversation, string Text)>> compose)
    {
        try
        {
            var stopping = _stopping.Token;

            // Yield first: the caller is the sender's request, which must not run any of this.
            await Task.Yield();
            await _slots.WaitAsync(stopping);
            try
            {
                var (conversation, text) = await compose(stopping);
                await PostAsync(requesterId, conversation, text, stopping);
            }
            finally
            {
                _slots.Release();
            }
        }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
        {
            // Shutting down.
        }
        catch (Exception exception)
        {
            // The user's own message is safe; only the reply is lost (e.g. the store is down). Never crash the server.
            _logger.AssistantReplyFailed(Outages.StackOf(exception), requesterId, conversationId, exception.Message);
        }
        finally
        {
            if (Interlocked.Decrement(ref _pending) == 0 && _stopping.IsCancellationRequested)
            {
                _drained.TrySetResult();
            }
        }
    }

    private async Task<string> ComposeAsync(long requesterId, AssistantLanguage language, AssistantCommand? command, CancellationToken cancellationToken)
    {
        switch (command)
        {
            case WeatherCommand weather:
                // The provider never throws for its own failures and gives up after its timeout.
                var result = await _weather.GetWeatherAsync(weather.City, language, cancellationToken);
                return WeatherReplyFormatter.Format(result, language);
            case JokeCommand:
                return _jokes.Pick(requesterId.ToString(CultureInfo.InvariantCulture), language);
            case CommandUsageError usage:
                return usage.Message;
            default:
                return Help(language);
        }
    }

    /// <summary>Stores the reply like any message (no client id: never deduplicated) and pushes it to every device of every member.</summary>
    private async Task PostAsync(long requesterId, ConversationInfo asked, string text, CancellationToken cancellationToken)
    {
        // Members now, not when the command was sent: someone may have joined or left a group meanwhile.
        var conversation = await _directory.GetAsync(asked.Id, cancellationToken);
        if (conversation is null)
        {
            return; // a dismissed group
        }

        // In a direct chat the target is the user who asked (in their chat with the assistant that is also the
        // rule for ordinary messages: the member who did not send). Clients place messages by conversationId.
        var targetId = conversation.Kind == ConversationKind.Direct ? requesterId : conversation.Id;
        await _serverMessages.PostAsync(conversation.Kind, conversation.Id, targetId, conversation.MemberArray, _identity.UserId, clientMessageId: 0, text, MessageFlags.Assistant);
    }
}
