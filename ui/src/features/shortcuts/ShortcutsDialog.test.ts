import { fireEvent, render, screen, within } from '@testing-library/svelte';
import { describe, expect, it, vi } from 'vitest';
import { defaultKeymap, GROUPS, RESERVED } from './keymap';
import ShortcutsDialog from './ShortcutsDialog.svelte';

function setup(mac = false) {
  const opener = document.createElement('button');
  opener.textContent = 'opener';
  document.body.append(opener);
  opener.focus();
  const onclose = vi.fn();
  const keymap = defaultKeymap();
  const result = render(ShortcutsDialog, { props: { keymap, mac, onclose } });
  return { keymap, onclose, opener, dialog: screen.getByRole('dialog', { name: 'Keyboard shortcuts' }), ...result };
}

describe('keyboard shortcuts dialog', () => {
  it('lists every binding of the keymap under its group', () => {
    const { dialog, keymap } = setup();
    const groups = within(dialog).getAllByRole('region');
    expect(groups.map((g) => within(g).getByRole('heading').textContent)).toEqual([...GROUPS]);
    const listed = groups.flatMap((g) => [...g.querySelectorAll('dd')].map((dd) => dd.textContent));
    expect(listed).toEqual(
      keymap.bindings.map((b) => b.description + (b.within ? ` (${b.within.where})` : '')),
    );
    const row = (description: string) =>
      [...dialog.querySelectorAll('.binding')].find((r) => r.querySelector('dd')?.textContent?.startsWith(description))!;
    expect(row('Next message').querySelector('dt')).toHaveTextContent('j or ↓');
    expect(row('Go to the inbox').querySelector('dt')).toHaveTextContent('g then i');
    expect(row('Select every message').querySelector('dt')).toHaveTextContent('Ctrl+A');
    expect(row('Settings').querySelector('dt')).toHaveTextContent('Ctrl+,');
    expect([...row('Go to the inbox').querySelectorAll('kbd')].map((k) => k.textContent)).toEqual(['g', 'i']);
  });

  it('writes ⌘ on a Mac', () => {
    const { dialog } = setup(true);
    expect(dialog).toHaveTextContent('⌘A');
    expect(dialog).not.toHaveTextContent('Ctrl');
  });

  it('does not list the reserved keys', () => {
    const { dialog } = setup();
    const keys = [...dialog.querySelectorAll('kbd')].map((k) => k.textContent);
    for (const key of Object.keys(RESERVED)) expect(keys).not.toContain(key);
  });

  it('closes with Esc, keeps Tab inside, and gives the focus back', async () => {
    const { dialog, onclose, opener, unmount } = setup();
    const close = within(dialog).getByRole('button', { name: 'Close' });
    expect(close).toHaveFocus();
    await fireEvent.keyDown(close, { key: 'Tab' });
    expect(close).toHaveFocus();
    await fireEvent.keyDown(close, { key: 'Tab', shiftKey: true });
    expect(close).toHaveFocus();
    await fireEvent.keyDown(close, { key: 'Escape' });
    expect(onclose).toHaveBeenCalledOnce();
    unmount();
    expect(opener).toHaveFocus();
  });
});
