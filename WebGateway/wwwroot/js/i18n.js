// The chat app's own strings. The server's error texts arrive already in the page's language.
const TEXT = {
  'zh-CN': {
    friends: '好友', groups: '群聊', requests: '好友请求', find: '添加好友', findPlaceholder: '用户名或手机号',
    search: '查找', sendRequest: '加为好友', requestSent: '已发送好友请求', accept: '接受', decline: '拒绝',
    createGroup: '创建群聊', groupName: '群名称', create: '创建', pickMembers: '选择成员',
    noConversation: '选择一个好友或群聊开始聊天', send: '发送', placeholder: '输入消息，Enter 发送；/weather 北京、/joke 召唤小助手',
    typing: '正在输入…', sent: '已发送', delivered: '已送达', read: '已读', recall: '撤回', recalled: '此消息已撤回',
    connecting: '正在连接…', offline: '连接已断开，正在重连…', loadMore: '加载更早的消息', all: '所有人',
    you: '我', note: '你好，我是', noFriends: '还没有好友', noGroups: '还没有群聊', members: '人',
    notice: {
      create: '{actor} 创建了群聊「{name}」，成员：{users}', join: '{actor} 邀请 {users} 加入了群聊', leave: '{users} 退出了群聊',
      kick: '{actor} 将 {users} 移出了群聊', rename: '{actor} 将群名改为「{name}」', separator: '、',
    },
  },
  en: {
    friends: 'Friends', groups: 'Groups', requests: 'Friend requests', find: 'Add a friend', findPlaceholder: 'Username or phone',
    search: 'Find', sendRequest: 'Add friend', requestSent: 'Friend request sent', accept: 'Accept', decline: 'Decline',
    createGroup: 'New group', groupName: 'Group name', create: 'Create', pickMembers: 'Members',
    noConversation: 'Pick a friend or a group to start chatting', send: 'Send', placeholder: 'Type a message, Enter to send; /weather London or /joke asks the assistant',
    typing: 'typing…', sent: 'Sent', delivered: 'Delivered', read: 'Read', recall: 'Recall', recalled: 'This message was recalled',
    connecting: 'Connecting…', offline: 'Disconnected, reconnecting…', loadMore: 'Load earlier messages', all: 'everyone',
    you: 'me', note: 'Hi, I am', noFriends: 'No friends yet', noGroups: 'No groups yet', members: 'members',
    notice: {
      create: '{actor} created the group "{name}" with {users}', join: '{actor} added {users}', leave: '{users} left the group',
      kick: '{actor} removed {users}', rename: '{actor} renamed the group to "{name}"', separator: ', ',
    },
  },
};

export function texts(language) {
  return TEXT[language] ?? TEXT['zh-CN'];
}
