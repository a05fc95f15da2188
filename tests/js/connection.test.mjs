import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encodeFrame, tryDecodeFrame } from '../../WebGateway/wwwroot/js/codec.js';

// The page's Connection runs against the browser's WebSocket; this stand-in records what the page sends and
// lets the test play the gateway.
class FakeWebSocket {
  static OPEN = 1;
  static CLOSED = 3;
  static last = null;

  constructor(url) {
    this.url = url;
    this.readyState = FakeWebSocket.OPEN;
    this.sent = [];
    this.closedWith = null;
    FakeWebSocket.last = this;
  }

  send(bytes) { this.sent.push(bytes); }

  close(code, reason) {
    this.closedWith = { code, reason };
    this.readyState = FakeWebSocket.CLOSED;
  }
}
globalThis.WebSocket = FakeWebSocket;
const { Connection, PING_UNANSWERED_CLOSE, PING_TIMEOUT_MS } = await import('../../WebGateway/wwwroot/js/connection.js');

async function openConnection() {
  const connection = new Connection('ws://gateway/ws');
  const states = [];
  connection.onState((state, detail) => states.push({ state, ...detail }));
  const opened = connection.connect();
  const socket = FakeWebSocket.last;
  socket.onmessage({ data: JSON.stringify({ userId: 1, username: 'a', nickname: 'A', maxFrameBytes: 65536, idleTimeoutSeconds: 90 }) });
  await opened;
  return { connection, socket, states };
}

function lastPing(socket) {
  const { frame } = tryDecodeFrame(socket.sent.at(-1), 0);
  assert.equal(frame.typeName, 'Ping');
  return frame.requestId;
}

const flush = () => new Promise((resolve) => setImmediate(resolve));

test('heartbeat: an answered Ping keeps the link; an unanswered one gives it up with 4000 at once', async (t) => {
  t.mock.timers.enable({ apis: ['setInterval', 'setTimeout'] });
  const { socket, states } = await openConnection();
  const interval = 30_000; // a third of the 90 s idle timeout, at most 30 s

  t.mock.timers.tick(interval);
  assert.equal(socket.sent.length, 1);
  socket.onmessage({ data: encodeFrame('Pong', lastPing(socket), {}).buffer });
  await flush();
  t.mock.timers.tick(PING_TIMEOUT_MS);
  assert.equal(socket.closedWith, null, 'an answered ping must not close the link');

  t.mock.timers.tick(interval - PING_TIMEOUT_MS);
  assert.equal(socket.sent.length, 2);
  lastPing(socket);
  t.mock.timers.tick(PING_TIMEOUT_MS - 1);
  assert.equal(socket.closedWith, null, 'given up only when the timeout has passed');
  t.mock.timers.tick(1);
  assert.equal(socket.closedWith?.code, PING_UNANSWERED_CLOSE);
  assert.deepEqual(states.at(-1), { state: 'closed', code: PING_UNANSWERED_CLOSE, opened: true });

  // Given up means done: no more pings on the dead socket, and its late close event is not reported twice.
  t.mock.timers.tick(interval * 3);
  assert.equal(socket.sent.length, 2);
  assert.equal(socket.onclose, null);
  assert.equal(states.filter((s) => s.state === 'closed').length, 1);
});

test('a request pending when the link is given up is rejected, not left hanging', async (t) => {
  t.mock.timers.enable({ apis: ['setInterval', 'setTimeout'] });
  const { connection, socket } = await openConnection();
  const pending = connection.request('GetFriends', {});
  t.mock.timers.tick(30_000);
  t.mock.timers.tick(PING_TIMEOUT_MS);
  assert.equal(socket.closedWith?.code, PING_UNANSWERED_CLOSE);
  await assert.rejects(pending, (error) => error.name === 'ChatError');
});

test('a closed socket stops the heartbeat and its ping timer', async (t) => {
  t.mock.timers.enable({ apis: ['setInterval', 'setTimeout'] });
  const { socket, states } = await openConnection();
  t.mock.timers.tick(30_000);
  socket.readyState = FakeWebSocket.CLOSED;
  socket.onclose({ code: 1012 });
  t.mock.timers.tick(PING_TIMEOUT_MS * 10);
  assert.equal(socket.closedWith, null, 'nothing to abandon after a close');
  assert.deepEqual(states.map((s) => s.code).filter((c) => c !== undefined), [1012]);
});
