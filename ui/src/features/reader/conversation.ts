import type { MessageRow, Person } from '../../ipc/backend';
import { personName } from '../message-list/format';

/** A message across the app: its account, folder and UID. */
export function messageKey(row: Pick<MessageRow, 'accountId' | 'path' | 'uid'>): string {
  return `${row.accountId}\u0000${row.path}\u0000${row.uid}`;
}

/** People as the reader's header lists them: "Name <address>", or the address alone. */
export function people(list: Person[]): string {
  return list.map((p) => (p.name?.trim() ? `${p.name.trim()} <${p.email}>` : p.email)).join(', ');
}

/** "Re:", "Fwd:", "Fw:" and the like (several languages' too, and "Re[2]:"), repeated. */
const REPLY_PREFIXES = /^\s*(?:(?:re|fwd?|aw|wg|sv|vs|antw|tr|rif)(?:\s*\[\d+\])?\s*:\s*)+/i;

/** The subject a conversation goes by: its first message's, without reply and forward prefixes. */
export function conversationSubject(subject: string): string {
  return subject.replace(REPLY_PREFIXES, '').trim() || subject.trim() || '(no subject)';
}

/** Who the user is in an account, to tell their own messages: the account's address and its Sent folder. */
export interface Own {
  email: string | null;
  /** The path of the Sent folder (special-use `\Sent`), when the account has one. */
  sent: string | null;
}

/** Whether the user wrote the message: it is in their Sent folder, or comes from their address. */
export function isYours(row: MessageRow, own: Own | null | undefined): boolean {
  if (!own) return false;
  if (own.sent !== null && row.path === own.sent) return true;
  const email = own.email?.trim().toLowerCase();
  return !!email && row.from.some((p) => p.email.trim().toLowerCase() === email);
}

/** The sender as a conversation names them: "You" for the user's own messages. */
export function senderName(row: MessageRow, own: Own | null | undefined): string {
  if (isYours(row, own)) return 'You';
  return row.from.map(personName).filter(Boolean).join(', ') || 'Unknown sender';
}

/**
 * Which messages of a conversation (oldest first) show expanded: the ones already decided
 * (`previous`, kept as the user left them when the conversation refreshes), then, for the others,
 * the unread ones, the newest and the one selected in the list.
 */
export function expandedMessages(
  members: MessageRow[],
  selected: string | null,
  previous: ReadonlyMap<string, boolean> = new Map(),
): Map<string, boolean> {
  const next = new Map<string, boolean>();
  members.forEach((row, i) => {
    const key = messageKey(row);
    next.set(key, previous.get(key) ?? (!row.seen || i === members.length - 1 || key === selected));
  });
  return next;
}
