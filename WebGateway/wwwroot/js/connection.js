// The chat app's link to the server: a WebSocket to the gateway's /ws bridge, which has already done the
// protocol handshake and the token sign-in. The first message is text (JSON: userId, username, nickname,
// maxFrameBytes, idleTimeoutSeconds); every later message is one binary protocol frame, in both directions.
import { encodeFrame, tryDecodeFrame, DEFAULT_MAX_FRAME_SIZE } from './codec.js';

/** Close code of a link given up on because a heartbeat went unanswered (application range 4000-4999). */
export const PING_UNANSWERED_CLOSE = 4000;

/** How long a heartbeat Ping may go unanswered before the link is given up (at most the heartbeat interval). */
export const PING_TIMEOUT_MS = 10_000;

/** An Error frame answering a request. `code` is the numeric ErrorCode, `message` the server's text. */
export class ChatError extends Error {
  constructor(code, message) {
    super(message);
    this.name = 'ChatError';
    this.code = code;
  }
}

export class Connection {
  constructor(url) {
    this.url = url;
    this.socket = null;
    this.nextId = 1;
    this.pending = new Map();
    this.pushHandlers = [];
    this.stateHandlers = [];
    this.hello = null;
    this.buffer = new Uint8Array(0);
    this.maxFrameSize = DEFAULT_MAX_FRAME_SIZE;
    this.heartbeat = null;
    this.pingTimer = null;
  }

  onPush(handler) { this.pushHandlers.push(handler); }

  onState(handler) { this.stateHandlers.push(handler); }

  setState(state, detail) { for (const h of this.stateHandlers) h(state, detail); }

  /** Opens the socket; resolves with the bridge's hello once the server has signed this connection in. */
  connect() {
    return new Promise((resolve, reject) => {
      const socket = new WebSocket(this.url);
      socket.binaryType = 'arraybuffer';
      this.socket = socket;
      this.buffer = new Uint8Array(0);
      this.setState('connecting');
      let opened = false;
      socket.onmessage = (event) => {
        if (typeof event.data === 'string') {
          this.hello = JSON.parse(event.data);
          this.maxFrameSize = this.hello.maxFrameBytes || DEFAULT_MAX_FRAME_SIZE;
          opened = true;
          this.startHeartbeat();
          this.setState('open');
          resolve(this.hello);
          return;
        }
        this.receive(new Uint8Array(event.data));
      };
      socket.onclose = (event) => {
        if (!opened) reject(new Error(`connection refused (${event.code})`));
        this.closed(event.code, opened);
      };
    });
  }

  closed(code, opened) {
    this.stopHeartbeat();
    for (const { reject: fail } of this.pending.values()) fail(new ChatError(0, 'connection closed'));
    this.pending.clear();
    this.setState('closed', { code, opened });
  }

  /**
   * Gives up on a link that stopped answering: a host that vanished (powered off, cable pulled) closes nothing,
   * and TCP would take minutes to notice. The page hears 'closed' at once and reconnects; the close handshake, if
   * anything still listens, tells the gateway to drop its side.
   */
  abandon(code, reason) {
    const socket = this.socket;
    if (!socket) return;
    socket.onclose = null;
    socket.onmessage = null;
    try { socket.close(code, reason); } catch { /* already closing */ }
    this.closed(code, true);
  }

  close() {
    this.stopHeartbeat();
    this.socket?.close(1000);
  }

  receive(bytes) {
    // Normally exactly one frame per message; a joined buffer keeps this correct if a relay ever splits frames.
    let data = bytes;
    if (this.buffer.length > 0) {
      data = new Uint8Array(this.buffer.length + bytes.length);
      data.set(this.buffer);
      data.set(bytes, this.buffer.length);
    }
    let offset = 0;
    for (;;) {
      let decoded;
      try {
        decoded = tryDecodeFrame(data, offset, this.maxFrameSize);
      } catch (error) {
        console.error('bad frame from server', error);
        this.socket.close(1002);
        return;
      }
      if (!decoded) break;
      offset = decoded.next;
      this.dispatch(decoded.frame);
    }
    this.buffer = offset < data.length ? data.slice(offset) : new Uint8Array(0);
  }

  dispatch(frame) {
    const waiter = frame.requestId !== 0 ? this.pending.get(frame.requestId) : undefined;
    if (waiter) {
      this.pending.delete(frame.requestId);
      if (frame.typeName === 'Error') waiter.reject(new ChatError(frame.fields.code, frame.fields.message));
      else waiter.resolve(frame);
      return;
    }
    if (frame.typeName) for (const h of this.pushHandlers) h(frame.typeName, frame.fields);
  }

  /** Sends a request; resolves with the response frame ({typeName, fields}), rejects with ChatError. */
  request(typeName, fields = {}) {
    if (!this.socket || this.socket.readyState !== WebSocket.OPEN) return Promise.reject(new ChatError(0, 'not connected'));
    const id = this.nextId++;
    if (this.nextId > 0xffffffff) this.nextId = 1;
    const bytes = encodeFrame(typeName, id, fields);
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.socket.send(bytes);
    });
  }

  startHeartbeat() {
    this.stopHeartbeat();
    // Well inside the server's idle timeout (90 s by default).
    const seconds = Math.max(5, Math.min(30, (this.hello?.idleTimeoutSeconds || 90) / 3));
    const timeoutMs = Math.min(PING_TIMEOUT_MS, seconds * 1000);
    this.heartbeat = setInterval(() => {
      clearTimeout(this.pingTimer);
      this.pingTimer = setTimeout(() => this.abandon(PING_UNANSWERED_CLOSE, 'ping unanswered'), timeoutMs);
      const answered = () => { clearTimeout(this.pingTimer); this.pingTimer = null; };
      this.request('Ping').then(answered, answered);
    }, seconds * 1000);
  }

  stopHeartbeat() {
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.heartbeat = null;
    clearTimeout(this.pingTimer);
    this.pingTimer = null;
  }
}
