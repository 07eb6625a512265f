import { describe, expect, it } from 'vitest';
import {
  chordLabel,
  defaultKeymap,
  GROUPS,
  keyLabels,
  Keymap,
  KeymapError,
  parseChord,
  parseKeys,
  RESERVED,
  type Binding,
} from './keymap';

const binding = (id: string, keys: string[], extra: Partial<Binding> = {}): Binding => ({
  id,
  keys,
  group: 'Messages',
  description: id,
  ...extra,
});

describe('keymap', () => {
  it('binds exactly the keys of the contract, each once', () => {
    const keymap = defaultKeymap();
    expect(keymap.bindings.map((b) => [b.id, b.keys])).toEqual([
      ['next', ['j', 'ArrowDown']],
      ['previous', ['k', 'ArrowUp']],
      ['open', ['Enter', 'o']],
      ['clear', ['Escape']],
      ['inbox', ['g i']],
      ['filter', ['/']],
      ['toggleRead', ['u']],
      ['toggleStar', ['s']],
      ['selectAll', ['Mod+a']],
      ['help', ['?']],
      ['settings', ['Mod+,']],
    ]);
    // The reserved keys are bound to nothing yet.
    for (const key of Object.keys(RESERVED)) expect(keymap.lookup([parseChord(key)])).toBeNull();
  });

  it('groups the bindings under the headings of the ? dialog, in order', () => {
    const groups = defaultKeymap().grouped();
    expect(groups.map((g) => g.group)).toEqual([...GROUPS]);
    expect(groups.flatMap((g) => g.bindings)).toHaveLength(defaultKeymap().bindings.length);
  });

  it.each([
    ['j', { key: 'j', mod: false }],
    ['ArrowDown', { key: 'ArrowDown', mod: false }],
    ['?', { key: '?', mod: false }],
    ['Mod+a', { key: 'a', mod: true }],
    ['Mod+A', { key: 'a', mod: true }],
    ['Mod+,', { key: ',', mod: true }],
  ])('reads %s', (text, chord) => {
    expect(parseChord(text)).toEqual(chord);
  });

  it('reads a sequence, and refuses what is not a key', () => {
    expect(parseKeys('g i')).toEqual([
      { key: 'g', mod: false },
      { key: 'i', mod: false },
    ]);
    expect(() => parseKeys('')).toThrow(KeymapError);
    expect(() => parseChord('Mod+')).toThrow(KeymapError);
  });

  it.each(Object.entries(RESERVED))('refuses the reserved key %s to anything but %s', (key, feature) => {
    const keymap = new Keymap();
    expect(() => keymap.register(binding('mine', [key]))).toThrow(new RegExp(`kept for ${feature}`));
    expect(() => keymap.register(binding('sequence', [`${key} x`]))).toThrow(KeymapError);
    expect(keymap.bindings).toEqual([]);
    // The feature it was kept for may take it; the modifier makes another key.
    keymap.register(binding(feature, [key], { feature: feature as Binding['feature'] }));
    expect(keymap.lookup([parseChord(key)])).toMatchObject({ id: feature });
    keymap.register(binding('with-modifier', [`Mod+${key}`]));
  });

  it.each([
    ['the same key twice', [binding('a1', ['j']), binding('a2', ['j'])], /already belongs to “a1”/],
    ['the same key twice in one binding', [binding('a1', ['j', 'j'])], /already belongs/],
    ['a key that starts a sequence', [binding('g', ['g']), binding('gi', ['g i'])], /start alike/],
    ['a sequence, then its first key', [binding('gi', ['g i']), binding('g', ['g'])], /start alike/],
    ['the same id', [binding('x', ['j']), binding('x', ['k'])], /already is a binding “x”/],
    ['no keys', [binding('x', [])], /has no keys/],
  ])('refuses %s', (_, bindings, error) => {
    const keymap = new Keymap();
    const last = bindings.pop()!;
    for (const b of bindings) keymap.register(b);
    expect(() => keymap.register(last)).toThrow(error);
    expect(keymap.bindings).toHaveLength(bindings.length);
  });

  it('tells a sequence under way from a finished one and from nothing', () => {
    const keymap = defaultKeymap();
    expect(keymap.lookup(parseKeys('g'))).toBe('pending');
    expect(keymap.lookup(parseKeys('g i'))).toMatchObject({ id: 'inbox' });
    expect(keymap.lookup(parseKeys('g x'))).toBeNull();
    expect(keymap.lookup(parseKeys('x'))).toBeNull();
  });

  it.each([
    [{ key: 'ArrowDown', mod: false }, false, '↓'],
    [{ key: 'Escape', mod: false }, false, 'Esc'],
    [{ key: 'a', mod: true }, false, 'Ctrl+A'],
    [{ key: 'a', mod: true }, true, '⌘A'],
    [{ key: ',', mod: true }, true, '⌘,'],
    [{ key: '?', mod: false }, true, '?'],
  ])('writes %o (mac: %s) as %s', (chord, mac, label) => {
    expect(chordLabel(chord, mac)).toBe(label);
  });

  it('writes each alternative and each step of a sequence', () => {
    const keymap = defaultKeymap();
    const byId = (id: string) => keymap.bindings.find((b) => b.id === id)!;
    expect(keyLabels(byId('next'), false)).toEqual([['j'], ['↓']]);
    expect(keyLabels(byId('inbox'), false)).toEqual([['g', 'i']]);
  });
});
