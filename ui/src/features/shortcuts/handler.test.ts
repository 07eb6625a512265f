import { afterEach, describe, expect, it } from 'vitest';
import { isTextField, runShortcut, SEQUENCE_TIMEOUT_MS, ShortcutHandler, type KeyPress } from './handler';
import { defaultKeymap } from './keymap';

/** A page with the parts the shortcuts care about. */
function page() {
  document.body.innerHTML = `
    <input id="text" type="text" aria-label="Filter" />
    <input id="search" type="search" />
    <input id="check" type="checkbox" />
    <textarea id="area"></textarea>
    <select id="select"><option>a</option></select>
    <div id="editable" contenteditable="true"><p id="inside">x</p></div>
    <button id="button" type="button">b</button>
    <ul role="tree"><li id="treeitem" role="treeitem" tabindex="0">Inbox</li></ul>
    <div id="list" role="listbox" aria-label="Messages" tabindex="0"><div id="option" role="option">m</div></div>
    <section class="reader" id="reader"><article id="article" tabindex="-1">text</article></section>
    <div id="dialog" role="dialog"><span id="in-dialog" tabindex="-1">x</span></div>
  `;
  const at = (id: string) => (id === 'body' ? document.body : document.getElementById(id)!);
  return at;
}

afterEach(() => {
  document.body.innerHTML = '';
});

function press(key: string, target: EventTarget, mods: Partial<KeyPress> = {}): KeyPress {
  return { key, ctrlKey: false, metaKey: false, altKey: false, shiftKey: false, target, ...mods };
}

describe('shortcut handler', () => {
  const setup = (mac = false) => {
    let now = 1_000;
    const handler = new ShortcutHandler(defaultKeymap(), { mac, now: () => now, scrollers: '.reader' });
    return { handler, at: page(), tick: (ms: number) => (now += ms) };
  };

  it.each<[string, string, Partial<KeyPress>, string | null]>([
    // key, where, modifiers, binding
    ['j', 'body', {}, 'next'],
    ['ArrowDown', 'body', {}, 'next'],
    ['k', 'body', {}, 'previous'],
    ['ArrowUp', 'body', {}, 'previous'],
    ['Enter', 'body', {}, 'open'],
    ['o', 'body', {}, 'open'],
    ['Escape', 'body', {}, 'clear'],
    ['u', 'body', {}, 'toggleRead'],
    ['s', 'body', {}, 'toggleStar'],
    ['/', 'body', {}, 'filter'],
    ['?', 'body', { shiftKey: true }, 'help'],
    ['a', 'list', { ctrlKey: true }, 'selectAll'],
    ['A', 'list', { ctrlKey: true }, 'selectAll'],
    [',', 'body', { ctrlKey: true }, 'settings'],
    // Not in text fields: letters, arrows, Enter; Esc and ctrl+, still work there.
    ['j', 'text', {}, null],
    ['u', 'search', {}, null],
    ['s', 'area', {}, null],
    ['k', 'select', {}, null],
    ['o', 'inside', {}, null],
    ['ArrowDown', 'text', {}, null],
    ['Escape', 'text', {}, 'clear'],
    ['Escape', 'area', {}, 'clear'],
    [',', 'text', { ctrlKey: true }, 'settings'],
    // A checkbox takes no typing.
    ['j', 'check', {}, 'next'],
    // Modifiers make another key.
    ['j', 'body', { ctrlKey: true }, null],
    ['j', 'body', { metaKey: true }, null],
    ['j', 'body', { altKey: true }, null],
    ['J', 'body', { shiftKey: true }, null],
    ['ArrowDown', 'body', { shiftKey: true }, null],
    ['a', 'list', { ctrlKey: true, shiftKey: true }, null],
    ['a', 'list', {}, null],
    // Ctrl+A selects the messages only in the list: elsewhere it selects text as usual.
    ['a', 'body', { ctrlKey: true }, null],
    ['a', 'text', { ctrlKey: true }, null],
    // Controls keep Enter and the arrows; letters still work on them.
    ['Enter', 'button', {}, null],
    ['ArrowDown', 'treeitem', {}, null],
    ['Enter', 'option', {}, null],
    ['j', 'button', {}, 'next'],
    ['j', 'treeitem', {}, 'next'],
    // The reader scrolls with the arrows; j and k still move.
    ['ArrowDown', 'article', {}, null],
    ['j', 'article', {}, 'next'],
    ['Enter', 'article', {}, 'open'],
    // Dialogs keep every key.
    ['j', 'in-dialog', {}, null],
    ['Escape', 'in-dialog', {}, null],
    // Reserved and unbound keys do nothing yet.
    ['e', 'body', {}, null],
    ['#', 'body', { shiftKey: true }, null],
    ['r', 'body', {}, null],
    ['c', 'body', {}, null],
  ])('%s in %s with %o → %s', (key, where, mods, expected) => {
    const { handler, at } = setup();
    expect(handler.match(press(key, at(where), mods))?.id ?? null).toBe(expected);
  });

  it('uses ⌘ instead of Ctrl on a Mac', () => {
    const { handler, at } = setup(true);
    expect(handler.match(press('a', at('list'), { metaKey: true }))?.id).toBe('selectAll');
    expect(handler.match(press('a', at('list'), { ctrlKey: true }))).toBeNull();
    expect(handler.match(press(',', at('body'), { metaKey: true }))?.id).toBe('settings');
  });

  it('leaves a key a control already handled', () => {
    const { handler, at } = setup();
    expect(handler.match({ ...press('j', at('body')), defaultPrevented: true })).toBeNull();
    expect(handler.match({ ...press('j', at('body')), isComposing: true })).toBeNull();
  });

  describe('sequences', () => {
    it('g then i goes to the inbox, with Shift or other modifiers alone in between', () => {
      const { handler, at } = setup();
      expect(handler.match(press('g', at('body')))).toBeNull();
      expect(handler.pending).toBe(true);
      expect(handler.match(press('Shift', at('body'), { shiftKey: true }))).toBeNull();
      expect(handler.match(press('i', at('body')))?.id).toBe('inbox');
      expect(handler.pending).toBe(false);
      // i alone is nothing.
      expect(handler.match(press('i', at('body')))).toBeNull();
    });

    it('forgets g after the timeout', () => {
      const { handler, at, tick } = setup();
      handler.match(press('g', at('body')));
      tick(SEQUENCE_TIMEOUT_MS + 1);
      expect(handler.pending).toBe(false);
      expect(handler.match(press('i', at('body')))).toBeNull();
    });

    it('takes i within the timeout', () => {
      const { handler, at, tick } = setup();
      handler.match(press('g', at('body')));
      tick(SEQUENCE_TIMEOUT_MS - 1);
      expect(handler.match(press('i', at('body')))?.id).toBe('inbox');
    });

    it('a key that does not go on with the sequence acts on its own', () => {
      const { handler, at } = setup();
      handler.match(press('g', at('body')));
      expect(handler.match(press('j', at('body')))?.id).toBe('next');
      expect(handler.match(press('i', at('body')))).toBeNull();
      handler.match(press('g', at('body')));
      expect(handler.match(press('g', at('body')))).toBeNull();
      expect(handler.match(press('i', at('body')))?.id).toBe('inbox');
    });

    it('does not start while typing, and a field in between breaks it', () => {
      const { handler, at } = setup();
      handler.match(press('g', at('text')));
      expect(handler.pending).toBe(false);
      expect(handler.match(press('i', at('body')))).toBeNull();
      handler.match(press('g', at('body')));
      expect(handler.match(press('i', at('text')))).toBeNull();
      expect(handler.pending).toBe(false);
    });

    it('a modifier press in between breaks it', () => {
      const { handler, at } = setup();
      handler.match(press('g', at('body')));
      handler.match(press('x', at('body'), { ctrlKey: true }));
      expect(handler.match(press('i', at('body')))).toBeNull();
    });
  });

  it('runs the action and claims the key, unless the action had nothing to do', () => {
    const { handler, at } = setup();
    const calls: string[] = [];
    const key = (k: string, target: Element, init: KeyboardEventInit = {}) => {
      const event = new KeyboardEvent('keydown', { key: k, bubbles: true, cancelable: true, ...init });
      Object.defineProperty(event, 'target', { value: target });
      return event;
    };
    const actions = {
      next: () => void calls.push('next'),
      toggleRead: () => {
        calls.push('toggleRead');
        return false;
      },
    };
    const j = key('j', at('body'));
    expect(runShortcut(handler, j, actions)?.id).toBe('next');
    expect(j.defaultPrevented).toBe(true);
    const u = key('u', at('body'));
    expect(runShortcut(handler, u, actions)).toBeNull();
    expect(u.defaultPrevented).toBe(false);
    const s = key('s', at('body'));
    expect(runShortcut(handler, s, actions)).toBeNull();
    expect(s.defaultPrevented).toBe(false);
    expect(calls).toEqual(['next', 'toggleRead']);
  });

  it.each([
    ['text', true],
    ['search', true],
    ['area', true],
    ['select', true],
    ['inside', true],
    ['check', false],
    ['button', false],
    ['body', false],
  ])('%s is a text field: %s', (id, expected) => {
    const at = page();
    expect(isTextField(at(id))).toBe(expected);
  });
});
