namespace Chat.Protocol;

/// <summary>
/// The stable error catalogue. A code's meaning never changes; clients branch on the code and show
/// the message. docs/protocol.md lists each code with its zh-CN and English text.
/// </summary>
public enum ErrorCode : ushort
{
    None = 0,

    // 1-99: protocol and connection
    MalformedFrame = 1,
    FrameTooLarge = 2,
    UnknownMessageType = 3,
    UnsupportedVersion = 4,
    HandshakeRequired = 5,
    NotSignedIn = 6,
    RateLimited = 7,
    ServerBusy = 8,
    InternalError = 9,
    /// <summary>The store is unreachable; the request did not take effect and may be retried.</summary>
    StorageUnavailable = 10,
    MalformedBody = 11,
    AlreadySignedIn = 12,
    SlowConsumer = 13,
    IdleTimeout = 14,
    ShuttingDown = 15,
    TooManyConnections = 16,
    UnexpectedMessage = 17,

    // 100-199: accounts
    UsernameInvalid = 100,
    UsernameTaken = 101,
    NicknameInvalid = 102,
    EmailInvalid = 103,
    PhoneInvalid = 104,
    PhoneTaken = 105,
    PasswordInvalid = 106,
    PasswordTooCommon = 107,
    CodeInvalid = 108,
    CodeExpired = 109,
    CodeTooManyAttempts = 110,
    CodeTooSoon = 111,
    CodeDailyLimit = 112,
    BadCredentials = 113,
    SignInLocked = 114,
    TokenInvalid = 115,
    PhoneNotRegistered = 116,
    SmsPurposeInvalid = 117,
    SmsDeliveryFailed = 118,

    /// <summary>GoAway: the token of this live session was revoked by SignOut on another connection.</summary>
    SignedOutElsewhere = 119,

    /// <summary>GoAway: a password reset revoked every token of the account, this session's included.</summary>
    PasswordChanged = 120,

    // 200-299: friends
    UserNotFound = 200,
    CannotFriendSelf = 201,
    AlreadyFriends = 202,
    RequestAlreadyPending = 203,
    NoPendingRequest = 204,
    NotFriends = 205,
    RemarkInvalid = 206,
    NoteInvalid = 207,
    StatusInvalid = 208,
    CannotBlockSelf = 209,

    // 300-399: messaging
    MessageEmpty = 300,
    MessageTooLong = 301,
    ConversationNotFound = 302,
    NotAMember = 303,
    RecipientUnavailable = 304,
    MessageNotFound = 305,
    RecallNotOwnMessage = 306,
    RecallTooLate = 307,
    LimitInvalid = 308,
    ConversationKindInvalid = 309,
    SearchQueryTooLong = 310,
    SearchQueryTooShort = 311,
    SearchQueryInvalid = 312,

    // 400-499: groups
    GroupNotFound = 400,
    GroupNameInvalid = 401,
    PermissionDenied = 402,
    GroupFull = 403,
    AlreadyMember = 404,
    NotGroupMember = 405,
    OwnerCannotLeave = 406,
    RoleInvalid = 407,

    // 500-599: assistant
    CityNotFound = 500,
    WeatherUnavailable = 501,
    CityInvalid = 502,

    // 600-699: attachments
    /// <summary>An attachment or upload that does not exist, has expired, or that this user may not read (the same answer for each).</summary>
    AttachmentNotFound = 600,
    FileTooLarge = 601,
    UploadQuotaExceeded = 602,
    UploadHashMismatch = 603,
    OffsetInvalid = 604,
    UploadIncomplete = 605,
    UploadSizeMismatch = 606,
    ImageInvalid = 607,
    ImageTooLarge = 608,
    FileNameInvalid = 609,
    MediaTypeInvalid = 610,
    HashInvalid = 611,
}
