import { createInterface } from 'node:readline';
import { Writable } from 'node:stream';
import { DataSource } from 'typeorm';
import { PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH } from '@modelyard/contracts';
import { ConfigError, createLogger, createPlatform, loadConfig, runProcess } from '@modelyard/platform';
import { registryDataSourceOptions } from './data-source.js';
import { hashPassword } from './identity/password-hash.util.js';

/**
 * `npm run set-password -- <username>`: sets a user's password (the built-in `admin` to begin
 * with), read from the terminal without echo, or from standard input when piped:
 * `printf '%s\n' "$PASSWORD" | npm run set-password -- admin`. Signed-in sessions of that user
 * keep running until they expire; change it through the API to end them at once.
 */
await runProcess('set-password', async () => {
  const username = process.argv[2];
  if (!username) throw new ConfigError(['usage: npm run set-password -- <username>']);
  const config = loadConfig();
  const logger = createLogger(config).child({ service: 'set-password' });
  const password = await readPassword(`New password for ${username}: `);
  if (password.length < PASSWORD_MIN_LENGTH || password.length > PASSWORD_MAX_LENGTH) {
    throw new ConfigError([`the password must be ${PASSWORD_MIN_LENGTH} to ${PASSWORD_MAX_LENGTH} characters`]);
  }
  const platform = await createPlatform(config, logger, { mode: config.database.url ? 'distributed' : 'standalone', withDatabase: true, withSecrets: false });
  const dataSource = new DataSource(registryDataSourceOptions(platform.database!));
  try {
    await dataSource.initialize();
    const hash = await hashPassword(password, config.auth.passwordScryptLogN);
    const [, changed]: [unknown[], number] = await dataSource.query(`UPDATE "users" SET "password_hash" = $2, "updated_at" = now() WHERE lower("username") = lower($1)`, [username, hash]);
    if (changed === 0) throw new ConfigError([`no user is named "${username}"`]);
    process.stdout.write(`password of ${username} set\n`);
  } finally {
    if (dataSource.isInitialized) await dataSource.destroy();
    await platform.close();
  }
  return null;
});

/** One line: from a terminal without echoing it, else from standard input. */
function readPassword(prompt: string): Promise<string> {
  const muted = new Writable({ write: (_chunk, _encoding, done) => done() });
  const terminal = process.stdin.isTTY === true;
  if (terminal) process.stderr.write(prompt);
  const lines = createInterface({ input: process.stdin, output: terminal ? muted : undefined, terminal });
  return new Promise((resolve, reject) => {
    lines.once('line', (line) => {
      lines.close();
      if (terminal) process.stderr.write('\n');
      resolve(line);
    });
    lines.once('close', () => reject(new ConfigError(['no password was given on standard input'])));
  });
}
