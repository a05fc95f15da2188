// The chat app's attachment helpers that need no DOM: sizes, thumbnail boxes, list previews.
// Run: node --test tests/js/
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatSize, thumbnailBox, isImage, attachmentUrl } from '../../WebGateway/wwwroot/js/attachments.js';
import { previewOf } from '../../WebGateway/wwwroot/js/chat-logic.js';
import { texts } from '../../WebGateway/wwwroot/js/i18n.js';

const photo = { attachmentId: 'a'.repeat(32), name: 'sea.jpg', mediaType: 'image/jpeg', size: 482113, width: 4032, height: 3024, thumbnailId: 'b'.repeat(32) };
const pdf = { attachmentId: 'c'.repeat(32), name: '报告.pdf', mediaType: 'application/pdf', size: 1048576, width: 0, height: 0, thumbnailId: '' };

test('sizes read as B, KB and MB', () => {
  assert.equal(formatSize(532), '532 B');
  assert.equal(formatSize(48_333), '47.2 KB');
  assert.equal(formatSize(1048576), '1.0 MB');
  assert.equal(formatSize(300 * 1024 * 1024), '300 MB');
});

test('a thumbnail keeps the image proportions within its box', () => {
  assert.deepEqual(thumbnailBox(photo), { width: 240, height: 180 });
  assert.deepEqual(thumbnailBox({ ...photo, width: 800, height: 1200 }), { width: 160, height: 240 });
  assert.deepEqual(thumbnailBox({ ...photo, width: 100, height: 50 }), { width: 100, height: 50 });
});

test('only sniffed images of the inline kinds are images; an SVG is a file', () => {
  assert.equal(isImage(photo), true);
  assert.equal(isImage(pdf), false);
  assert.equal(isImage({ ...pdf, mediaType: 'image/svg+xml', width: 0 }), false);
  assert.equal(attachmentUrl(pdf.attachmentId, { download: true }), `/attachments/${'c'.repeat(32)}?download=1`);
});

test('the list previews an image or a file, with its caption', () => {
  const t = texts('zh-CN');
  const base = { senderId: 2, flags: 0, mentions: [] };
  const options = { myUserId: 1, group: false, nameOf: () => '张三', t };
  assert.equal(previewOf({ ...base, text: '', attachment: photo }, options), '[图片]');
  assert.equal(previewOf({ ...base, text: '看海', attachment: photo }, options), '[图片] 看海');
  assert.equal(previewOf({ ...base, text: '', attachment: pdf }, options), '[文件] 报告.pdf');
  assert.equal(previewOf({ ...base, senderId: 1, text: '', attachment: pdf }, options), '我: [文件] 报告.pdf');
});
