// Pictures and files in the chat app. An upload goes over the same WebSocket as everything else, as protocol frames
// (docs/protocol.md 7.13): the file is hashed slice by slice, UploadBegin names it (and, for a file whose upload was
// cut, tells where the server's bytes end), UploadChunk frames follow with a few in flight, UploadFinish checks it.
// A connection lost midway is waited out and the upload goes on from the server's offset. Downloads are plain HTTP
// (GET /attachments/<id> with the session cookie), so <img> and the browser's own download do the work.
import { el } from './dom.js';
import { Sha256 } from './sha256.js';

/** The image types shown inline; the server decides from the bytes (AttachmentInfo.width > 0 for an image). */
const INLINE_TYPES = new Set(['image/jpeg', 'image/png', 'image/gif', 'image/webp']);
const HASH_SLICE = 1024 * 1024;
const IN_FLIGHT = 4;
const MAX_RESUMES = 30;

export function isImage(attachment) {
  return Boolean(attachment) && attachment.width > 0 && INLINE_TYPES.has(attachment.mediaType);
}

export function attachmentUrl(id, { download = false } = {}) {
  return `/attachments/${encodeURIComponent(id)}${download ? '?download=1' : ''}`;
}

/** "532 B", "48.2 KB", "3.1 MB" (1024-based, one decimal below 100). */
export function formatSize(bytes) {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KB', 'MB', 'GB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) { value /= 1024; unit++; }
  return `${value < 100 ? value.toFixed(1) : Math.round(value)} ${units[unit]}`;
}

/** The box a thumbnail is shown in: the image's proportions within `max` × `max` CSS pixels. */
export function thumbnailBox(attachment, max = 240) {
  const scale = Math.min(1, max / Math.max(attachment.width, attachment.height, 1));
  return { width: Math.max(24, Math.round(attachment.width * scale)), height: Math.max(24, Math.round(attachment.height * scale)) };
}

/** The conversation list's preview of a message whose text is empty: "[Image]" or "[File] name". */
export function attachmentPreview(attachment, t) {
  return isImage(attachment) ? t.imagePreview : `${t.filePreview} ${attachment.name}`;
}

/** SHA-256 of a File or Blob, read a slice at a time. */
export async function hashFile(file, onProgress = () => {}) {
  const hash = new Sha256();
  for (let at = 0; at < file.size; at += HASH_SLICE) {
    hash.update(new Uint8Array(await file.slice(at, at + HASH_SLICE).arrayBuffer()));
    onProgress(Math.min(file.size, at + HASH_SLICE));
  }
  return hash.hex();
}

/** Raised when the user cancelled an upload. */
export class UploadCancelled extends Error {
  constructor() { super('upload cancelled'); this.name = 'UploadCancelled'; }
}

/**
 * Uploads `file` through `connection` and resolves with the stored AttachmentInfo. `onProgress(sent, size)` follows
 * the server's acknowledged bytes. A lost connection (ChatError code 0) waits for `whenConnected()` and resumes; a
 * server refusal (too large, quota, not an image, ...) rejects with its ChatError. `signal` cancels (the server drops
 * what it holds).
 */
export async function uploadFile(connection, file, { onProgress = () => {}, signal, whenConnected }) {
  const sha256 = await hashFile(file);
  const name = file.name || 'file';
  let uploadId = null;
  for (let attempt = 0; ; attempt++) {
    try {
      const ready = (await connection.request('UploadBegin', { name, mediaType: file.type || '', size: file.size, sha256 })).fields;
      uploadId = ready.uploadId;
      let held = ready.offset;
      let next = held;
      onProgress(held, file.size);
      const window = [];
      while (held < file.size) {
        if (signal?.aborted) throw new UploadCancelled();
        while (next < file.size && window.length < IN_FLIGHT) {
          const end = Math.min(file.size, next + ready.chunkBytes);
          const data = new Uint8Array(await file.slice(next, end).arrayBuffer());
          const sent = connection.request('UploadChunk', { uploadId, offset: next, data });
          sent.catch(() => {}); // awaited below in order; a failure is seen there once
          window.push(sent);
          next = end;
        }
        held = (await window.shift()).fields.offset;
        onProgress(held, file.size);
      }
      return (await connection.request('UploadFinish', { uploadId })).fields.attachment;
    } catch (error) {
      if (error instanceof UploadCancelled) {
        if (uploadId) connection.request('UploadCancel', { uploadId }).catch(() => {});
        throw error;
      }
      if (error?.code !== 0 || attempt >= MAX_RESUMES) throw error;
      await whenConnected();
      if (signal?.aborted) throw new UploadCancelled();
    }
  }
}

/**
 * What a message shows for its attachment: a thumbnail that opens the viewer, or a file card that downloads.
 * `onOpen(attachment)` shows the full image.
 */
export function renderAttachment(attachment, { t, onOpen }) {
  if (isImage(attachment)) {
    const box = thumbnailBox(attachment);
    return el('button', {
      type: 'button', class: 'thumb', 'aria-label': `${t.viewImage}: ${attachment.name}`,
      'data-attachment-id': attachment.attachmentId, onclick: () => onOpen(attachment),
    }, el('img', {
      src: attachmentUrl(attachment.thumbnailId || attachment.attachmentId), alt: attachment.name,
      width: box.width, height: box.height, loading: 'lazy', decoding: 'async',
    }));
  }
  return el('a', {
    class: 'file-card', href: attachmentUrl(attachment.attachmentId, { download: true }), download: attachment.name,
    'data-attachment-id': attachment.attachmentId, 'aria-label': `${t.download}: ${attachment.name}, ${formatSize(attachment.size)}`,
  },
  el('span', { class: 'file-icon', 'aria-hidden': 'true', text: '📄' }),
  el('span', { class: 'file-text' },
    el('span', { class: 'file-name', text: attachment.name }),
    el('span', { class: 'file-meta', text: `${formatSize(attachment.size)} · ${attachment.mediaType}` })),
  el('span', { class: 'file-download', 'aria-hidden': 'true', text: '⬇' }));
}

/** The full-size viewer: a modal dialog with the image, its name and a download link; Escape or × closes it. */
export function imageViewer(t) {
  const image = el('img', { class: 'viewer-image', alt: '' });
  const caption = el('span', { class: 'viewer-name' });
  const download = el('a', { class: 'link-button viewer-download', text: t.download });
  const close = el('button', { type: 'button', class: 'icon-button viewer-close', 'aria-label': t.close, text: '×' });
  const dialog = el('dialog', { id: 'viewer', class: 'viewer', 'aria-label': t.viewImage },
    el('div', { class: 'viewer-bar' }, caption, download, close), image);
  close.addEventListener('click', () => dialog.close());
  dialog.addEventListener('click', (event) => { if (event.target === dialog) dialog.close(); });
  dialog.addEventListener('close', () => image.removeAttribute('src'));
  return {
    element: dialog,
    open(attachment) {
      image.src = attachmentUrl(attachment.attachmentId);
      image.alt = attachment.name;
      caption.textContent = attachment.name;
      download.href = attachmentUrl(attachment.attachmentId, { download: true });
      download.setAttribute('download', attachment.name);
      dialog.showModal();
      close.focus();
    },
  };
}
