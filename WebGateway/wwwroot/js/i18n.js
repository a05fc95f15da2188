// The chat app's own strings. The server's error texts arrive already in the page's language.
const TEXT = {
  'zh-CN': {
    appName: '聊天', chats: '消息', contacts: '通讯录', friends: '好友', groups: '群聊', requests: '新的朋友', find: '添加好友',
    findPlaceholder: '用户名或手机号', findLabel: '按用户名或手机号查找用户', search: '查找', sendRequest: '加为好友', requestSent: '已发送好友请求',
    requestNote: '验证消息', accept: '接受', decline: '拒绝', isSelf: '这是你自己', alreadyFriend: '已经是好友', message: '发消息',
    createGroup: '创建群聊', groupName: '群名称', create: '创建', cancel: '取消', pickMembers: '选择成员', groupNameRequired: '请填写群名称',
    noConversation: '选择一个会话开始聊天', noChats: '还没有会话：在通讯录里选一位好友或一个群聊', send: '发送',
    placeholder: '输入消息，Enter 发送，Shift+Enter 换行；/天气 北京、/笑话 召唤小助手', composerLabel: '消息',
    typing: '正在输入…', sent: '已发送', delivered: '已送达', read: '已读', recall: '撤回',
    recalledBy: '{name} 撤回了一条消息', recalledByMe: '你撤回了一条消息',
    connecting: '正在连接…', offline: '连接已断开，正在重连…', all: '所有人',
    you: '我', note: '你好，我是', noFriends: '还没有好友', noGroups: '还没有群聊', members: '人', back: '返回',
    today: '今天', yesterday: '昨天', online: '在线', away: '离开', busy: '忙碌', offlineStatus: '离线', lastSeen: '最近在线',
    details: '详情', close: '关闭', profile: '个人资料', nickname: '昵称', email: '邮箱', phone: '手机号', username: '用户名',
    save: '保存', saved: '已保存', status: '状态', remark: '备注名', remarkHint: '只有你能看到', block: '屏蔽', unblock: '取消屏蔽',
    blocked: '已屏蔽（对方的消息和请求不会再送达）', removeFriend: '删除好友', confirmRemove: '确定删除好友 {name}？',
    memberList: '群成员', invite: '邀请好友', inviteNone: '没有可邀请的好友', rename: '修改群名', leave: '退出群聊', dismiss: '解散群聊',
    confirmLeave: '确定退出群聊「{name}」？', confirmDismiss: '确定解散群聊「{name}」？所有成员都会被移出。',
    kick: '移出', promote: '设为管理员', demote: '取消管理员', transfer: '转让群主', confirmTransfer: '确定把群主转让给 {name}？',
    owner: '群主', admin: '管理员', groupGone: '你已不在这个群聊中', emoji: '表情', notifyOn: '开启桌面通知', notifyOff: '桌面通知已开启',
    notifyDenied: '桌面通知已被浏览器阻止', newMessage: '新消息', chatList: '会话列表', messagesLabel: '消息记录', mention: '有人@我',
    unreadCount: '{n} 条未读',
    notice: {
      create: '{actor} 创建了群聊「{name}」，成员：{users}', join: '{actor} 邀请 {users} 加入了群聊', leave: '{users} 退出了群聊',
      kick: '{actor} 将 {users} 移出了群聊', rename: '{actor} 将群名改为「{name}」', separator: '、',
    },
  },
  en: {
    appName: 'Chat', chats: 'Chats', contacts: 'Contacts', friends: 'Friends', groups: 'Groups', requests: 'Friend requests', find: 'Add a friend',
    findPlaceholder: 'Username or phone', findLabel: 'Find a user by username or phone', search: 'Find', sendRequest: 'Add friend', requestSent: 'Friend request sent',
    requestNote: 'Message with the request', accept: 'Accept', decline: 'Decline', isSelf: 'This is you', alreadyFriend: 'Already a friend', message: 'Message',
    createGroup: 'New group', groupName: 'Group name', create: 'Create', cancel: 'Cancel', pickMembers: 'Members', groupNameRequired: 'Enter a group name',
    noConversation: 'Pick a conversation to start chatting', noChats: 'No chats yet: pick a friend or a group under Contacts', send: 'Send',
    placeholder: 'Type a message, Enter sends, Shift+Enter for a new line; /weather London or /joke asks the assistant', composerLabel: 'Message',
    typing: 'typing…', sent: 'Sent', delivered: 'Delivered', read: 'Read', recall: 'Recall',
    recalledBy: '{name} recalled a message', recalledByMe: 'You recalled a message',
    connecting: 'Connecting…', offline: 'Disconnected, reconnecting…', all: 'everyone',
    you: 'Me', note: 'Hi, I am', noFriends: 'No friends yet', noGroups: 'No groups yet', members: 'members', back: 'Back',
    today: 'Today', yesterday: 'Yesterday', online: 'Online', away: 'Away', busy: 'Busy', offlineStatus: 'Offline', lastSeen: 'Last seen',
    details: 'Details', close: 'Close', profile: 'Profile', nickname: 'Nickname', email: 'Email', phone: 'Phone', username: 'Username',
    save: 'Save', saved: 'Saved', status: 'Status', remark: 'Remark', remarkHint: 'Only you see it', block: 'Block', unblock: 'Unblock',
    blocked: 'Blocked (their messages and requests no longer reach you)', removeFriend: 'Remove friend', confirmRemove: 'Remove {name} from your friends?',
    memberList: 'Members', invite: 'Invite friends', inviteNone: 'No friends left to invite', rename: 'Rename group', leave: 'Leave group', dismiss: 'Dismiss group',
    confirmLeave: 'Leave the group "{name}"?', confirmDismiss: 'Dismiss the group "{name}"? Every member will be removed.',
    kick: 'Remove', promote: 'Make admin', demote: 'Revoke admin', transfer: 'Make owner', confirmTransfer: 'Hand the group over to {name}?',
    owner: 'Owner', admin: 'Admin', groupGone: 'You are no longer in this group', emoji: 'Emoji', notifyOn: 'Turn on notifications', notifyOff: 'Notifications are on',
    notifyDenied: 'Notifications are blocked by the browser', newMessage: 'New message', chatList: 'Chats', messagesLabel: 'Messages', mention: 'You were mentioned',
    unreadCount: '{n} unread',
    notice: {
      create: '{actor} created the group "{name}" with {users}', join: '{actor} added {users}', leave: '{users} left the group',
      kick: '{actor} removed {users}', rename: '{actor} renamed the group to "{name}"', separator: ', ',
    },
  },
};

export function texts(language) {
  return TEXT[language] ?? TEXT['zh-CN'];
}
