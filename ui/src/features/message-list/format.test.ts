import { describe, expect, it } from 'vitest';
import { accountLabel, correspondent, listDate, listSummary } from './format';

const at = (iso: string) => Math.floor(Date.parse(iso) / 1000);
const now = new Date('2025-06-15T14:30:00Z');

describe('list dates', () => {
  it.each([
    // [message time, locale, expected]
    ['2025-06-15T09:05:00Z', 'en-US', '9:05 AM'],
    ['2025-06-15T09:05:00Z', 'en-GB', '09:05'],
    ['2025-06-15T00:00:00Z', 'de-DE', '00:00'],
    ['2025-06-14T23:59:00Z', 'en-US', 'Jun 14'],
    ['2025-01-02T08:00:00Z', 'en-GB', '2 Jan'],
    ['2025-03-07T08:00:00Z', 'de-DE', '7. März'],
    ['2024-12-31T23:00:00Z', 'en-US', 'Dec 31, 2024'],
    ['2019-07-04T12:00:00Z', 'en-GB', '4 Jul 2019'],
    ['2019-07-04T12:00:00Z', 'fr-FR', '4 juil. 2019'],
  ])('%s in %s reads %s', (time, locale, expected) => {
    expect(listDate(at(time), { now, locale, timeZone: 'UTC' })).toBe(expected);
  });

  it('decides "today" in the given time zone', () => {
    // 23:30 UTC on the 14th is already the 15th in Tokyo.
    expect(listDate(at('2025-06-14T23:30:00Z'), { now, locale: 'en-GB', timeZone: 'Asia/Tokyo' })).toBe('08:30');
    expect(listDate(at('2025-06-14T23:30:00Z'), { now, locale: 'en-GB', timeZone: 'UTC' })).toBe('14 Jun');
  });

  it.each([
    // messages around the local midnights of the day before "now", of "now" and of New Year
    '2025-06-14T00:00:00',
    '2025-06-14T23:59:59',
    '2025-06-15T00:00:00',
    '2025-06-15T00:00:01',
    '2024-12-31T23:59:59',
    '2025-01-01T00:00:00',
  ])('reads %s (local time) in the user’s time zone as the time zone named explicitly', (local) => {
    const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    const seconds = Math.floor(new Date(local).getTime() / 1000);
    const localNow = new Date('2025-06-15T12:00:00');
    expect(listDate(seconds, { now: localNow, locale: 'en-GB' })).toBe(
      listDate(seconds, { now: localNow, locale: 'en-GB', timeZone: zone }),
    );
  });

  it('accepts bigint seconds (the generated type of the engine’s timestamps)', () => {
    expect(listDate(BigInt(at('2019-07-04T12:00:00Z')), { now, locale: 'en-GB', timeZone: 'UTC' })).toBe('4 Jul 2019');
  });
});

describe('sender column', () => {
  const row = {
    from: [{ name: null, email: 'billing@cloudhost.example' }],
    to: [
      { name: 'Grace Hopper', email: 'grace@navy.example' },
      { name: ' ', email: 'alan@bletchley.example' },
    ],
  } as unknown as Parameters<typeof correspondent>[0];

  it('shows the name, else the address; recipients for sent mail', () => {
    expect(correspondent(row)).toBe('billing@cloudhost.example');
    expect(correspondent(row, true)).toBe('To: Grace Hopper, alan@bletchley.example');
    expect(correspondent({ ...row, from: [] })).toBe('Unknown sender');
  });
});

describe('list header and account names', () => {
  it.each([
    [0, 0, false, '0 messages, 0 unread'],
    [1, 1, false, '1 message, 1 unread'],
    [100_000, 1_234, false, '100,000 messages, 1,234 unread'],
    [1, 0, true, '1 conversation, 0 unread'],
    [2_400, 12, true, '2,400 conversations, 12 unread'],
  ])('%d rows, %d unread, conversations %s: %s', (total, unread, conversations, expected) => {
    expect(listSummary(total, unread, conversations)).toBe(expected);
  });

  it('names an account by its name, else its address', () => {
    expect(accountLabel({ displayName: 'Work', email: 'ada@work.example' })).toBe('Work');
    expect(accountLabel({ displayName: '  ', email: 'ada@work.example' })).toBe('ada@work.example');
    expect(accountLabel(undefined)).toBe('');
  });
});
