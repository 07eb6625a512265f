import { describe, expect, it } from 'vitest';
import type { MessageRow } from '../../ipc/backend';
import { conversationSubject, expandedMessages, isYours, messageKey, senderName } from './conversation';

const row = (uid: number, fields: Partial<MessageRow> = {}): MessageRow => ({
  accountId: 'demo',
  path: 'INBOX',
  uid,
  subject: 'Harbour walk',
  from: [{ name: 'Ben Ross', email: 'ben@example.org' }],
  to: [],
  cc: [],
  snippet: null,
  received: uid,
  date: uid,
  size: 1_000,
  seen: true,
  flagged: false,
  answered: false,
  draft: false,
  hasAttachment: false,
  keywords: [],
  threadId: '7',
  threadCount: 1,
  ...fields,
});

describe('conversation subject', () => {
  const check = (subject: string, expected: string) => expect(conversationSubject(subject)).toBe(expected);

  it('drops reply and forward prefixes, however many and in whatever case', () => {
    check('Harbour walk', 'Harbour walk');
    check('Re: Harbour walk', 'Harbour walk');
    check('RE: Fwd: re:Harbour walk', 'Harbour walk');
    check('Re[2]: Harbour walk', 'Harbour walk');
    check('AW: WG: Hafenspaziergang', 'Hafenspaziergang');
    check('  Fw: Agenda ', 'Agenda');
    check('Regarding the walk', 'Regarding the walk');
    check('Re: ', 'Re:');
    check('', '(no subject)');
  });
});

describe('the user’s own messages', () => {
  const own = { email: 'Ada@Example.org', sent: 'Sent' };

  it('are the ones in Sent and the ones from the account’s address', () => {
    expect(isYours(row(1, { path: 'Sent', from: [] }), own)).toBe(true);
    expect(isYours(row(2, { from: [{ name: null, email: 'ada@example.org' }] }), own)).toBe(true);
    expect(isYours(row(3), own)).toBe(false);
    expect(isYours(row(4, { path: 'Sent' }), { email: null, sent: null })).toBe(false);
    expect(isYours(row(5, { path: 'Sent' }), undefined)).toBe(false);
  });

  it('are "You"; others go by name, else address', () => {
    expect(senderName(row(1, { path: 'Sent' }), own)).toBe('You');
    expect(senderName(row(2), own)).toBe('Ben Ross');
    expect(senderName(row(3, { from: [{ name: null, email: 'ci@example.org' }] }), own)).toBe('ci@example.org');
    expect(senderName(row(4, { from: [] }), own)).toBe('Unknown sender');
  });
});

describe('unfolded messages', () => {
  it('are the unread ones, the newest and the one selected, unless the user decided', () => {
    const members = [row(1), row(2, { seen: false }), row(3), row(4), row(5)];
    const keys = members.map(messageKey);
    const open = (map: Map<string, boolean>) => keys.filter((k) => map.get(k)).map((k) => Number(k.split('\u0000')[2]));
    expect(open(expandedMessages(members, keys[2]!))).toEqual([2, 3, 5]);
    expect(open(expandedMessages(members, null, new Map([[keys[4]!, false], [keys[0]!, true]])))).toEqual([1, 2]);
    expect(expandedMessages([], null).size).toBe(0);
  });
});
