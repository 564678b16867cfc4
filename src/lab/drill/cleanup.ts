/** Removing a drill's temporary directory, audit anchors included. */
import { execFileSync } from 'node:child_process';
import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Lifeline makes an anchor's checkpoint file append-only (`chattr +a`) where it may (as root);
 * such a file cannot be deleted until that is undone, so each anchor is released first.
 */
export function removeTree(root: string): void {
  try {
    for (const entry of readdirSync(root)) {
      if (!entry.endsWith('.anchor')) continue;
      try {
        execFileSync('chattr', ['-a', join(root, entry, 'checkpoints.jsonl')], { stdio: 'ignore' });
      } catch {
        // Not set, not supported, or no file: nothing to undo.
      }
    }
  } catch {
    return;
  }
  rmSync(root, { recursive: true, force: true });
}
