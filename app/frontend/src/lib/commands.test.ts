import { describe, expect, it } from 'vitest';
import type { Served } from '../api/types';
import { passwordNote, precomputeCommand } from './commands';

const own: Served = {
  images: '/home/me/photos',
  store: '/home/me/cache/attention.zarr',
  db: 'sqlite:////home/me/cache/catalog.db',
  precompute_flags: "--images '/home/me/my photos' --store /home/me/cache/attention.zarr --db sqlite:////home/me/cache/catalog.db",
  password_hidden: false,
};

describe('precomputeCommand', () => {
  it('acts on the served gallery, store and catalog', () => {
    expect(precomputeCommand(own, '--models all --per-head')).toBe(
      "precompute --models all --per-head --images '/home/me/my photos' --store /home/me/cache/attention.zarr --db sqlite:////home/me/cache/catalog.db",
    );
  });

  it('is the plain command on the defaults (the sample gallery) and before /served answers', () => {
    expect(precomputeCommand({ ...own, precompute_flags: '' }, '--models all --per-head --metrics')).toBe(
      'precompute --models all --per-head --metrics',
    );
    expect(precomputeCommand(undefined, '--metrics')).toBe('precompute --metrics');
    expect(precomputeCommand({ ...own, precompute_flags: '--images /x' }, '')).toBe('precompute --images /x');
  });

  it('says when a password was masked', () => {
    expect(passwordNote(own)).toBeNull();
    expect(passwordNote(undefined)).toBeNull();
    expect(passwordNote({ ...own, password_hidden: true })).toMatch(/\*\*\*/);
  });
});
