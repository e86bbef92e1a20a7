import { chmod, mkdir, open, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { generateSecretKey, parseSecretKey, SecretKeyError } from './secret-cipher.js';

/**
 * Standalone mode without MODELYARD_SECRET_KEY: the master keys live in a file in the data folder,
 * readable by the owner only. The first line is the current key; later lines are previous keys
 * (kept while a rotation re-seals what they sealed). The file is created with one new key.
 */
export async function loadOrCreateKeyFile(path: string): Promise<{ current: Buffer; previous: Buffer[]; created: boolean }> {
  let text: string | undefined;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  let created = false;
  if (text === undefined) {
    await mkdir(dirname(path), { recursive: true, mode: 0o700 });
    text = `${generateSecretKey()}\n`;
    // `wx`: two processes starting at once cannot both create (and disagree on) the key.
    try {
      const file = await open(path, 'wx', 0o600);
      await file.writeFile(text);
      await file.sync();
      await file.close();
      created = true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      text = await readFile(path, 'utf8');
    }
  }
  await chmod(path, 0o600);
  const lines = text.split('\n').map((line) => line.trim()).filter((line) => line.length > 0 && !line.startsWith('#'));
  if (lines.length === 0) throw new SecretKeyError(`the key file ${path} holds no key`);
  try {
    const [current, ...previous] = lines.map(parseSecretKey);
    return { current: current!, previous, created };
  } catch (error) {
    throw new SecretKeyError(`the key file ${path} ${(error as Error).message}`);
  }
}
