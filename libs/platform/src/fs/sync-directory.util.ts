import { open, type FileHandle } from 'node:fs/promises';

/** Makes a rename durable. Best effort: not every platform lets a directory be opened and fsynced. */
export async function syncDirectory(dir: string): Promise<void> {
  let handle: FileHandle | undefined;
  try {
    handle = await open(dir, 'r');
    await handle.sync();
  } catch {
    // The rename itself succeeded; only its durability across a power cut is weaker here.
  } finally {
    await handle?.close();
  }
}
