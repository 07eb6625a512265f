import { type Binding, type Chord, type Keymap } from './keymap';

/** The parts of a `KeyboardEvent` the shortcuts look at. */
export interface KeyPress {
  key: string;
  ctrlKey: boolean;
  metaKey: boolean;
  altKey: boolean;
  shiftKey: boolean;
  isComposing?: boolean;
  defaultPrevented?: boolean;
  target: EventTarget | null;
}

/** How long the second key of a sequence (`g` then `i`) may take, in milliseconds. */
export const SEQUENCE_TIMEOUT_MS = 1_200;

const MODIFIERS = new Set(['Shift', 'Control', 'Alt', 'AltGraph', 'Meta', 'CapsLock', 'OS', 'Fn']);

/** Input types that take no typing (checkboxes, buttons). */
const NOT_TEXT = new Set(['checkbox', 'radio', 'button', 'submit', 'reset', 'range', 'color', 'file', 'image']);

const asElement = (target: EventTarget | null): Element | null =>
  target && typeof (target as Element).closest === 'function' ? (target as Element) : null;

/** Whether the key goes into a field being typed in (an input, a text area, a select, editable text). */
export function isTextField(target: EventTarget | null): boolean {
  const element = asElement(target);
  if (!element) return false;
  if (element instanceof HTMLInputElement) return !NOT_TEXT.has(element.type);
  if (element instanceof HTMLTextAreaElement || element instanceof HTMLSelectElement) return true;
  return element.closest('[contenteditable]:not([contenteditable="false"])') !== null;
}

/** Controls that give Enter, Space and the arrows a meaning of their own. */
const CONTROLS = [
  'button',
  'a[href]',
  'summary',
  'input',
  'select',
  'textarea',
  '[contenteditable]:not([contenteditable="false"])',
  ...[
    'button',
    'link',
    'checkbox',
    'switch',
    'radio',
    'tab',
    'menuitem',
    'option',
    'treeitem',
    'slider',
    'spinbutton',
    'separator',
    'combobox',
    'gridcell',
  ].map((role) => `[role="${role}"]`),
].join(',');

export function isControl(target: EventTarget | null): boolean {
  return asElement(target)?.closest(CONTROLS) != null;
}

export interface HandlerOptions {
  /** ⌘ is the command modifier (macOS); Ctrl elsewhere. */
  mac: boolean;
  timeoutMs?: number;
  /** The clock, in milliseconds (tests pass their own). */
  now?: () => number;
  /**
   * Parts of the window where the arrow keys keep their own meaning (scrolling the reader); a CSS
   * selector.
   */
  scrollers?: string;
}

/**
 * Matches key presses against a keymap, following sequences: `g` waits (up to
 * {@link SEQUENCE_TIMEOUT_MS}) for its second key. Leaves alone what is not its business: keys
 * typed into text fields (except bindings marked `inFields`, such as Esc), keys a control already
 * handled (`defaultPrevented`), Enter and the arrows on controls that use them (buttons, the
 * folder tree), and everything inside dialogs.
 */
export class ShortcutHandler {
  readonly #keymap: Keymap;
  readonly #mac: boolean;
  readonly #timeoutMs: number;
  readonly #now: () => number;
  readonly #scrollers: string | null;
  #pending: { chords: Chord[]; at: number } | null = null;

  constructor(keymap: Keymap, options: HandlerOptions) {
    this.#keymap = keymap;
    this.#mac = options.mac;
    this.#timeoutMs = options.timeoutMs ?? SEQUENCE_TIMEOUT_MS;
    this.#now = options.now ?? (() => Date.now());
    this.#scrollers = options.scrollers ?? null;
  }

  /** Whether the first key of a sequence was pressed and the next one is awaited. */
  get pending(): boolean {
    return this.#pending !== null && this.#now() - this.#pending.at <= this.#timeoutMs;
  }

  /** The binding this key press completes, or null. */
  match(event: KeyPress): Binding | null {
    // Shift on its way to `?` does not break a sequence.
    if (MODIFIERS.has(event.key) || event.isComposing || event.key === 'Process' || event.key === 'Dead') return null;
    const chord = this.#chord(event);
    const target = asElement(event.target);
    if (!chord || event.defaultPrevented || target?.closest('dialog, [role="dialog"], [role="alertdialog"]')) {
      this.#pending = null;
      return null;
    }
    const typing = isTextField(target);
    const now = this.#now();
    const pending = this.#pending && now - this.#pending.at <= this.#timeoutMs ? this.#pending.chords : null;
    this.#pending = null;

    // A sequence's second key; else (no sequence goes on with it) the key on its own.
    let chords = pending ? [...pending, chord] : [chord];
    let found = this.#keymap.lookup(chords);
    if (found === null && pending) {
      chords = [chord];
      found = this.#keymap.lookup(chords);
    }
    if (found === null) return null;
    if (found === 'pending') {
      // Sequences never start while typing.
      if (!typing) this.#pending = { chords, at: now };
      return null;
    }
    if (typing && !found.inFields) return null;
    if (found.within && !target?.closest(found.within.selector)) return null;
    const named = chord.key.length > 1 && !chord.mod;
    if (named && chord.key !== 'Escape') {
      if (isControl(target)) return null;
      if (chord.key.startsWith('Arrow') && this.#scrollers && target?.closest(this.#scrollers)) return null;
    }
    return found;
  }

  /** Forgets a half-typed sequence. */
  reset() {
    this.#pending = null;
  }

  /** The chord the event stands for, or null when it has modifiers no binding uses. */
  #chord(event: KeyPress): Chord | null {
    if (event.altKey) return null;
    const mod = this.#mac ? event.metaKey : event.ctrlKey;
    const other = this.#mac ? event.ctrlKey : event.metaKey;
    if (other) return null;
    const single = event.key.length === 1;
    // A character already says whether Shift was down (`?`, `#`); a named key with Shift is another press.
    if (event.shiftKey && (!single || mod)) return null;
    return { key: mod && single ? event.key.toLowerCase() : event.key, mod };
  }
}

/**
 * Runs the action bound to the key press, if any, and claims the key (`preventDefault`) unless
 * the action returns false (it had nothing to do: the key keeps its usual meaning).
 */
export function runShortcut(
  handler: ShortcutHandler,
  event: KeyboardEvent,
  actions: Record<string, (event: KeyboardEvent) => boolean | void>,
): Binding | null {
  const binding = handler.match(event);
  if (!binding) return null;
  const action = actions[binding.id];
  if (!action || action(event) === false) return null;
  event.preventDefault();
  return binding;
}
