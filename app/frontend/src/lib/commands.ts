/**
 * The commands the app suggests ("No maps yet", "No metrics yet" …), for what this server serves:
 * precompute's own defaults would act on the sample gallery, not on a gallery, store and catalog
 * of one's own, so the served ones are appended (`--images … --store … --db …`, from `/served`).
 */
import type { Served } from '../api/types';

/** `precompute <args>` acting on the served gallery, store and catalog (before `/served` answers: as given). */
export function precomputeCommand(served: Served | undefined, args: string): string {
  const flags = served?.precompute_flags ?? '';
  return ['precompute', args, flags].filter((part) => part !== '').join(' ');
}

/** A line to show under a command whose catalog or store URL had its password masked, else null. */
export function passwordNote(served: Served | undefined): string | null {
  return served?.password_hidden ? 'The password of the catalog or store is not shown: put it in place of *** before running this.' : null;
}
