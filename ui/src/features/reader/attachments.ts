import type { MessageAttachment } from '../../ipc/backend';

/** What the reader calls an attachment: its file name, or a description when it has none. */
export function attachmentName(attachment: MessageAttachment): string {
  return attachment.filename?.trim() || (isMessage(attachment) ? 'Attached message' : 'Unnamed attachment');
}

/** An attached message (a forwarded email), which the reader can show. */
export function isMessage(attachment: MessageAttachment): boolean {
  return attachment.mime.toLowerCase() === 'message/rfc822';
}
