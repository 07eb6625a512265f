/**
 * The keyboard shortcuts: every binding, its keys, group and description, in one registry that the
 * global handler (`handler.ts`) matches key presses against and the `?` dialog lists.
 *
 * Keys are written as in `KeyboardEvent.key`, so they follow the keyboard layout (`?` is whatever
 * the layout types as `?`): one key (`j`, `ArrowDown`, `Enter`, `Escape`), a key with the platform's
 * command modifier (`Mod+a`: Ctrl on Windows and Linux, ⌘ on macOS), or a sequence separated by a
 * space (`g i`: g, then i).
 */

/** One key press of a binding. */
export interface Chord {
  /** `KeyboardEvent.key`: a character (`j`, `/`, `?`) or a named key (`ArrowDown`, `Escape`). */
  key: string;
  /** Needs the command modifier (Ctrl, or ⌘ on macOS). */
  mod: boolean;
}

/** The headings of the `?` dialog, in the order it shows them. */
export const GROUPS = ['Navigation', 'Messages', 'Application'] as const;
export type Group = (typeof GROUPS)[number];

/** Keys kept for features to come: bound to nothing until those features land. */
export const RESERVED = {
  e: 'archive',
  '#': 'delete',
  r: 'reply',
  a: 'replyAll',
  f: 'forward',
  c: 'compose',
} as const;
export type ReservedFeature = (typeof RESERVED)[keyof typeof RESERVED];

export interface Binding {
  /** What the binding does, for the code (`next`, `toggleRead`). */
  id: string;
  /** Alternative keys, each one chord or a sequence (`['j', 'ArrowDown']`, `['g i']`). */
  keys: string[];
  group: Group;
  /** What the `?` dialog says it does. */
  description: string;
  /** Also acts while typing in a text field (Esc, Mod+,); others leave text fields alone. */
  inFields?: boolean;
  /**
   * Acts only while the focus is inside this part of the window (a CSS selector, such as the
   * message list), and says so in the `?` dialog with `where`.
   */
  within?: { selector: string; where: string };
  /** The feature a reserved key was kept for: only it may take that key. */
  feature?: ReservedFeature;
}

/** Why a binding was refused. */
export class KeymapError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'KeymapError';
  }
}

/** Reads `Mod+a`, `ArrowDown` or `?` into a chord. */
export function parseChord(text: string): Chord {
  const mod = text.startsWith('Mod+');
  const key = mod ? text.slice(4) : text;
  if (key === '' || /\s/.test(key)) throw new KeymapError(`“${text}” is not a key`);
  // A letter with the modifier is matched in lower case (Ctrl+A and Ctrl+a are the same press).
  return { key: mod && key.length === 1 ? key.toLowerCase() : key, mod };
}

/** Reads `g i` into its chords. */
export function parseKeys(text: string): Chord[] {
  const parts = text.trim().split(/ +/);
  if (parts.length === 0 || parts[0] === '') throw new KeymapError('a binding needs a key');
  return parts.map(parseChord);
}

export function chordId(chord: Chord): string {
  return chord.mod ? `Mod+${chord.key}` : chord.key;
}

const sequenceId = (chords: Chord[]) => chords.map(chordId).join(' ');

/** The bindings, checked: no key twice, no key that is a prefix of a sequence, no reserved key. */
export class Keymap {
  readonly #bindings: Binding[] = [];
  /** Every bound sequence (by its written form) and the binding it belongs to. */
  readonly #sequences = new Map<string, { binding: Binding; chords: Chord[] }>();

  /** Adds a binding; throws a {@link KeymapError} (and adds nothing) when one of its keys is taken or reserved. */
  register(binding: Binding): this {
    if (this.#bindings.some((b) => b.id === binding.id))
      throw new KeymapError(`there already is a binding “${binding.id}”`);
    if (binding.keys.length === 0) throw new KeymapError(`“${binding.id}” has no keys`);
    const added = new Map<string, Chord[]>();
    for (const keys of binding.keys) {
      const chords = parseKeys(keys);
      const id = sequenceId(chords);
      const first = chords[0]!;
      const reservedFor = !first.mod ? (RESERVED as Record<string, ReservedFeature>)[first.key] : undefined;
      if (reservedFor && binding.feature !== reservedFor)
        throw new KeymapError(`“${first.key}” is kept for ${reservedFor}; “${binding.id}” can’t have it`);
      if (this.#sequences.has(id) || added.has(id)) {
        const owner = this.#sequences.get(id)?.binding.id ?? binding.id;
        throw new KeymapError(`“${id}” already belongs to “${owner}”`);
      }
      for (const [other, entry] of [
        ...[...this.#sequences].map(([k, v]) => [k, v.chords] as const),
        ...added.entries(),
      ]) {
        if (isPrefix(chords, entry) || isPrefix(entry, chords))
          throw new KeymapError(`“${id}” and “${other}” start alike: one would never be reached`);
      }
      added.set(id, chords);
    }
    this.#bindings.push(binding);
    for (const [id, chords] of added) this.#sequences.set(id, { binding, chords });
    return this;
  }

  /** Every binding, in the order they were registered. */
  get bindings(): readonly Binding[] {
    return this.#bindings;
  }

  /** The bindings under each heading of {@link GROUPS} (headings without bindings left out). */
  grouped(): { group: Group; bindings: Binding[] }[] {
    return GROUPS.map((group) => ({ group, bindings: this.#bindings.filter((b) => b.group === group) })).filter(
      (g) => g.bindings.length > 0,
    );
  }

  /**
   * What the chords pressed so far lead to: a binding, `pending` when they begin a longer
   * sequence, or null.
   */
  lookup(chords: readonly Chord[]): Binding | 'pending' | null {
    const exact = this.#sequences.get(sequenceId([...chords]));
    if (exact) return exact.binding;
    for (const entry of this.#sequences.values()) if (isPrefix(chords, entry.chords)) return 'pending';
    return null;
  }
}

/** Whether `a` is a strict prefix of `b`. */
function isPrefix(a: readonly Chord[], b: readonly Chord[]): boolean {
  return a.length < b.length && a.every((chord, i) => chordId(chord) === chordId(b[i]!));
}

/** Where the message list has the keyboard (ctrl/cmd+a selects its rows there). */
export const MESSAGE_LIST = '[role="listbox"][aria-label="Messages"]';

/** Tern's bindings (Gmail's keys). */
export function defaultKeymap(): Keymap {
  return new Keymap()
    .register({ id: 'next', keys: ['j', 'ArrowDown'], group: 'Navigation', description: 'Next message' })
    .register({ id: 'previous', keys: ['k', 'ArrowUp'], group: 'Navigation', description: 'Previous message' })
    .register({
      id: 'open',
      keys: ['Enter', 'o'],
      group: 'Navigation',
      description: 'Open the selected message (the keyboard moves to the reader)',
    })
    .register({
      id: 'clear',
      keys: ['Escape'],
      group: 'Navigation',
      description: 'Back to the list, back to one selected message, or close a dialog',
      inFields: true,
    })
    .register({ id: 'inbox', keys: ['g i'], group: 'Navigation', description: 'Go to the inbox' })
    .register({ id: 'filter', keys: ['/'], group: 'Navigation', description: 'Filter the list by sender or subject' })
    .register({ id: 'toggleRead', keys: ['u'], group: 'Messages', description: 'Mark as read or unread' })
    .register({ id: 'toggleStar', keys: ['s'], group: 'Messages', description: 'Star or unstar' })
    .register({
      id: 'selectAll',
      keys: ['Mod+a'],
      group: 'Messages',
      description: 'Select every message',
      within: { selector: MESSAGE_LIST, where: 'in the list' },
    })
    .register({ id: 'help', keys: ['?'], group: 'Application', description: 'Show the keyboard shortcuts' })
    .register({ id: 'settings', keys: ['Mod+,'], group: 'Application', description: 'Settings', inFields: true });
}

/** Whether this computer is a Mac (⌘ instead of Ctrl). */
export function isMac(): boolean {
  return typeof navigator !== 'undefined' && /Mac|iPhone|iPad/.test(navigator.platform || navigator.userAgent);
}

const NAMES: Record<string, string> = {
  ArrowDown: '↓',
  ArrowUp: '↑',
  ArrowLeft: '←',
  ArrowRight: '→',
  Escape: 'Esc',
  ' ': 'Space',
};

/** How a chord is written for people: `j`, `↓`, `Esc`, `Ctrl+A`, `⌘A`. */
export function chordLabel(chord: Chord, mac: boolean): string {
  const key = NAMES[chord.key] ?? (chord.key.length === 1 && chord.mod ? chord.key.toUpperCase() : chord.key);
  if (!chord.mod) return key;
  return mac ? `⌘${key}` : `Ctrl+${key}`;
}

/** Each chord of each alternative, for the `?` dialog: `[['g', 'i']]`, `[['j'], ['↓']]`. */
export function keyLabels(binding: Binding, mac: boolean): string[][] {
  return binding.keys.map((keys) => parseKeys(keys).map((chord) => chordLabel(chord, mac)));
}
