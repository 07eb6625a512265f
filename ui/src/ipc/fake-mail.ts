/**
 * Deterministic sample mail for the fake backend: a "server" mailbox of any
 * size whose messages are computed from their position, so a folder of
 * 100,000 messages costs no memory until rows are asked for.
 *
 * Index 0 is the newest message; arrival times spread back from `now` over
 * months (years for very large folders), with replies grouped into threads.
 * A Sent folder built with `repliesTo` (the account's Inbox) holds the user's
 * replies to some of the Inbox's messages: same conversation (`threadId`),
 * "Re:" subject, sent a little after the message they answer.
 */
import type { MessageRow, Person } from './bindings';
import { sampleAttachments, sampleSnippet } from './fake-view';

const PEOPLE: Person[] = [
  { name: 'Grace Hopper', email: 'grace@navy.example' },
  { name: 'Alan Turing', email: 'alan@bletchley.example' },
  { name: 'Katherine Johnson', email: 'kjohnson@langley.example' },
  { name: 'Linus Torvalds', email: 'torvalds@kernel.example' },
  { name: 'Margaret Hamilton', email: 'margaret@apollo.example' },
  { name: null, email: 'notifications@github.example' },
  { name: 'Barbara Liskov', email: 'liskov@mit.example' },
  { name: 'Donald Knuth', email: 'knuth@stanford.example' },
  { name: 'Frances Allen', email: 'fran@ibm.example' },
  { name: 'Tern Weekly', email: 'newsletter@tern.example' },
  { name: 'Edsger Dijkstra', email: 'ewd@utexas.example' },
  { name: null, email: 'billing@cloudhost.example' },
  { name: 'Radia Perlman', email: 'radia@spanning.example' },
  { name: 'Ken Thompson', email: 'ken@bell-labs.example' },
  { name: 'Hedy Lamarr', email: 'hedy@frequency.example' },
  { name: 'Calendar', email: 'calendar@example.org' },
];

const SUBJECTS = [
  'Notes from Thursday’s design review',
  'Your invoice for March is ready',
  'Lunch on Friday?',
  'Draft: quarterly report',
  'Flight itinerary — ZRH → LIS',
  'Re-run of the benchmark on the new cache',
  'Photos from the hike',
  'Pull request #482: faster folder sync',
  'Welcome to the team!',
  'Agenda for the planning meeting',
  'Updated contract, please sign',
  'Conference talk accepted',
  'The server migration is scheduled for Sunday',
  'Book club: next month’s pick',
  'Your package has shipped',
  'Question about the IMAP IDLE timeout',
  'Minutes: architecture sync',
  'Holiday schedule',
  'Security advisory for OpenSSL',
  'Receipt for your donation',
  'Can you review my slides?',
  'Weekly digest: 14 new discussions',
  'Dinner plans this weekend',
  'Tickets for the concert',
  'Proposal: drop support for POP3',
  'Reminder: dentist appointment tomorrow',
  'Feedback on the onboarding flow',
  'Your password was changed',
];

const KEYWORDS = ['$Work', '$Personal', '$Receipts'];

/** A small, fast, well-mixed integer hash (deterministic across runs). */
function hash(a: number, b: number): number {
  let h = (Math.imul(a ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(b + 0x7f4a7c15, 0xc2b2ae35)) >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x7feb352d) >>> 0;
  h ^= h >>> 15;
  h = Math.imul(h, 0x846ca68b) >>> 0;
  h ^= h >>> 16;
  return h >>> 0;
}

function seedOf(text: string): number {
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619) >>> 0;
  return h;
}

/** A message handed to {@link SampleMailbox.deliver}: at least a subject; the rest has defaults. */
export type Delivery = Partial<Omit<MessageRow, 'uid' | 'accountId' | 'path' | 'threadCount'>> & { subject: string };

/** One reply or forward prefix ("Re:", "AW[2]:", "Fwd (3) :"), as the engine's threading knows them. */
const PREFIX = /^(re|aw|sv|antw|vs|odp|fwd|fw|wg|tr)(\[\d+\]|\(\d+\))?\s*[:：]\s*/i;
/** A list tag ("[tern-dev] "), stripped only when something follows it. */
const TAG = /^\[[^\]]*\]\s*(?=\S)/;

/** A subject without list tags and reply and forward prefixes ("[dev] Re: Fwd: Lunch" → "Lunch"), as the engine's. */
export function baseSubject(subject: string): string {
  let rest = subject.trim();
  for (;;) {
    const next = rest.replace(TAG, '').replace(PREFIX, '');
    if (next === rest) return rest;
    rest = next;
  }
}

/**
 * A folder on the fake server: `size` messages, newest first. The sample
 * messages are computed; messages delivered later sit on top of them.
 */
export class SampleMailbox {
  /** The computed sample messages (the oldest part of the folder). */
  readonly #sampleSize: number;
  /** Messages delivered while running, oldest first; their UIDs follow the samples'. */
  readonly #delivered: MessageRow[] = [];
  readonly #seed: number;
  readonly #now: number;
  /** Average seconds between two arrivals. */
  readonly #gap: number;
  readonly #owner: Person;
  #unreadPrefix: Uint32Array | null = null;
  /** Flags changed on sample messages since they were computed, by UID. */
  readonly #flagChanges = new Map<number, { seen?: boolean; flagged?: boolean }>();
  /** Sent mail and drafts are written by the owner: never unread. */
  readonly #allSeen: boolean;
  readonly #accountId: string;
  readonly #path: string;
  /** The Inbox some of this (Sent) folder's messages answer. */
  readonly #repliesTo: SampleMailbox | null;

  constructor(
    path: string,
    size: number,
    now: number,
    owner: Person,
    options: { accountId?: string; repliesTo?: SampleMailbox; salt?: string } = {},
  ) {
    this.#accountId = options.accountId ?? '';
    this.#path = path;
    this.#repliesTo = options.repliesTo ?? null;
    this.#sampleSize = size;
    // The same folder of another account (another salt) holds other mail.
    this.#seed = seedOf(options.salt ? `${options.salt}\u0000${path}` : path);
    this.#now = Math.floor(now / 1000);
    this.#owner = owner;
    this.#allSeen = path === 'Sent' || path === 'Drafts';
    // Spread over about 18 months, or up to 4 years for very large folders, at least an hour apart on average.
    const span = Math.min(Math.max(size * 3 * 3600, 1), size > 20_000 ? 4 * 365 * 86400 : 540 * 86400);
    this.#gap = Math.max(span / Math.max(size, 1), 60);
  }

  /** Average seconds between two sample messages' arrivals. */
  get gapSeconds(): number {
    return this.#gap;
  }

  /** Sample message `index` (0 = the newest sample, whatever was delivered since), with its current flags. */
  sample(index: number): MessageRow | null {
    return index >= 0 && index < this.#sampleSize ? this.#sampleRow(index) : null;
  }

  /** Messages in the folder. */
  get size(): number {
    return this.#sampleSize + this.#delivered.length;
  }

  #h(index: number, salt: number): number {
    return hash(this.#seed + salt, index);
  }

  /** Whether sample message `index` (0 = the newest sample) is unread: the newest few often are, older ones rarely. */
  #sampleUnread(index: number): boolean {
    if (this.#allSeen) return false;
    const roll = this.#h(index, 1) % 100;
    return index < 12 ? roll < 55 : roll < 3;
  }

  /** Whether message `index` (0 = newest) is unread. */
  isUnread(index: number): boolean {
    const delivered = this.#delivered.length;
    if (index < delivered) return !this.#delivered[delivered - 1 - index]!.seen;
    const sample = index - delivered;
    const seen = this.#flagChanges.get(this.#sampleSize - sample)?.seen;
    return seen === undefined ? this.#sampleUnread(sample) : !seen;
  }

  /** Unread messages among the newest `count`. */
  unreadAmong(count: number): number {
    if (!this.#unreadPrefix) {
      const prefix = new Uint32Array(this.#sampleSize + 1);
      for (let i = 0; i < this.#sampleSize; i++) prefix[i + 1] = prefix[i]! + (this.#sampleUnread(i) ? 1 : 0);
      this.#unreadPrefix = prefix;
    }
    const clamped = Math.max(0, Math.min(count, this.size));
    const delivered = Math.min(clamped, this.#delivered.length);
    let unread = 0;
    for (let i = 0; i < delivered; i++) if (this.isUnread(i)) unread++;
    let samples = this.#unreadPrefix[clamped - delivered]!;
    // Sample messages marked read or unread since: they are few.
    for (const [uid, change] of this.#flagChanges) {
      const sample = this.#sampleSize - uid;
      if (change.seen === undefined || sample >= clamped - delivered) continue;
      samples += (change.seen ? 0 : 1) - (this.#sampleUnread(sample) ? 1 : 0);
    }
    return unread + samples;
  }

  /** The index (0 = newest) of the message with `uid`, or -1 when there is none. */
  indexOfUid(uid: number): number {
    const delivered = this.#delivered.length;
    if (!Number.isInteger(uid) || uid < 1 || uid > this.size) return -1;
    if (uid > this.#sampleSize) return delivered - 1 - (uid - this.#sampleSize - 1);
    return delivered + (this.#sampleSize - uid);
  }

  /** Sets or clears flags of the message with `uid` (undefined/null: left alone); false when there is none. */
  setFlags(uid: number, flags: { seen?: boolean | null; flagged?: boolean | null }): boolean {
    const index = this.indexOfUid(uid);
    if (index < 0) return false;
    const delivered = this.#delivered.length;
    if (index < delivered) {
      const row = this.#delivered[delivered - 1 - index]!;
      if (flags.seen != null) row.seen = flags.seen;
      if (flags.flagged != null) row.flagged = flags.flagged;
      return true;
    }
    const change = { ...this.#flagChanges.get(uid) };
    if (flags.seen != null) change.seen = flags.seen;
    if (flags.flagged != null) change.flagged = flags.flagged;
    this.#flagChanges.set(uid, change);
    return true;
  }

  /**
   * Puts a new message on top of the folder (it arrived on the server) and
   * returns it with its UID: unread, from the first sample sender, received now
   * (or just after the newest message), unless `message` says otherwise.
   */
  deliver(message: Delivery): MessageRow {
    const newest = this.size > 0 ? this.row(0).received : 0;
    const received = message.received ?? Math.max(this.#now, Math.floor(Date.now() / 1000), newest + 1);
    const sender = PEOPLE[0]!;
    const row: MessageRow = {
      from: [sender],
      to: [this.#owner],
      cc: [],
      snippet: null,
      date: received,
      size: 2_000 + message.subject.length,
      seen: false,
      flagged: false,
      answered: false,
      draft: false,
      hasAttachment: false,
      keywords: [],
      threadId: String(seedOf(`${message.subject}\u0000${this.size}`)),
      ...message,
      accountId: this.#accountId,
      path: this.#path,
      threadCount: 1,
      received,
      uid: this.size + 1,
    };
    this.#delivered.push(row);
    return structuredClone(row);
  }

  /** The message at `index` (0 = newest). */
  row(index: number): MessageRow {
    const delivered = this.#delivered.length;
    if (index < delivered) return structuredClone(this.#delivered[delivered - 1 - index]!);
    return this.#sampleRow(index - delivered);
  }

  #sampleRow(index: number): MessageRow {
    const row = this.#computedRow(index);
    const change = this.#flagChanges.get(row.uid);
    if (change?.seen !== undefined) row.seen = change.seen;
    if (change?.flagged !== undefined) row.flagged = change.flagged;
    return row;
  }

  /**
   * Makes some of a Sent folder's messages the user's replies to the Inbox message that arrived
   * just before them: same conversation, "Re:" subject, to its sender.
   */
  #answer(row: MessageRow, index: number, jitter: number): void {
    const inbox = this.#repliesTo;
    if (!inbox || this.#h(index, 16) % 100 >= 35) return;
    // The Inbox sample that arrived right before this message was sent.
    let target = Math.floor(((index + jitter) * this.#gap) / inbox.gapSeconds) + 1;
    let original = inbox.sample(target);
    while (original && original.received >= row.received) original = inbox.sample(++target);
    if (!original) return;
    row.subject = `Re: ${baseSubject(original.subject)}`;
    row.threadId = original.threadId;
    row.to = original.from.map((p) => ({ ...p }));
  }

  #computedRow(index: number): MessageRow {
    const size = this.#sampleSize;
    // Replies follow the message they answer: every message with thread roll < 30 continues the previous one's thread.
    let root = index;
    while (root + 1 < size && this.#h(root, 2) % 100 < 30 && index - root < 6) root++;
    const subjectRoll = this.#h(root, 3);
    const base = SUBJECTS[subjectRoll % SUBJECTS.length]!;
    const depth = root - index;
    const subject = depth === 0 ? base : `Re: ${base}`;
    const sender = PEOPLE[this.#h(index, 4) % PEOPLE.length]!;
    const jitter = (this.#h(index, 5) % 1000) / 1000;
    const received = this.#now - Math.floor((index + jitter) * this.#gap) - 90;
    const flagged = this.#h(index, 6) % 100 < 4;
    const hasAttachment = this.#h(index, 7) % 100 < 12;
    const keywordRoll = this.#h(index, 8) % 100;
    const answered = !this.#sampleUnread(index) && this.#h(index, 9) % 100 < 15;
    // Some messages copy someone else in.
    const copied = PEOPLE[this.#h(index, 13) % PEOPLE.length]!;
    const cc = this.#h(index, 14) % 100 < 20 && copied.email !== sender.email ? [copied] : [];
    const row: MessageRow = {
      accountId: this.#accountId,
      path: this.#path,
      threadCount: 1,
      uid: size - index,
      subject,
      from: this.#allSeen ? [this.#owner] : [sender],
      to: this.#allSeen ? [sender] : [this.#owner],
      cc,
      snippet: null,
      received,
      date: received - (this.#h(index, 10) % 120),
      size: 2_000 + (this.#h(index, 11) % 60_000),
      seen: !this.#sampleUnread(index),
      flagged,
      answered,
      draft: this.#path === 'Drafts',
      hasAttachment,
      keywords: keywordRoll < 10 ? [KEYWORDS[keywordRoll % KEYWORDS.length]!] : [],
      threadId: String(this.#h(root, 12)),
    };
    this.#answer(row, index, jitter);
    // Attachments weigh a third more once encoded.
    for (const a of sampleAttachments(row)) row.size += Math.ceil((a.size * 4) / 3);
    // The engine has the first words of most messages (the rest were never downloaded).
    if (this.#h(index, 15) % 100 >= 10) row.snippet = sampleSnippet(row);
    return row;
  }
}
