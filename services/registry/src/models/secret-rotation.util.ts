import type { DataSource } from 'typeorm';
import type { SecretRotationDto } from '@modelyard/contracts';
import { messageOf, type SecretCipher } from '@modelyard/platform';

/**
 * Re-seals every stored secret not sealed with the cipher's current key. Each row is swapped only if
 * it still holds what was read (an edit in between wins), so it is safe while the platform runs; a
 * secret no configured key opens is reported and left as it is. Not an edit: updated_at and the
 * event log do not change.
 */
export async function rotateSealedSecrets(dataSource: DataSource, cipher: SecretCipher): Promise<SecretRotationDto> {
  const rows: Array<{ id: string; secret: string }> = await dataSource.query(`SELECT "id", "secret" FROM "models" WHERE "secret" IS NOT NULL ORDER BY "id"`);
  const result: SecretRotationDto = { key_id: cipher.currentKeyId, rotated: 0, already_current: 0, failed: [] };
  for (const row of rows) {
    if (!cipher.isStale(row.secret)) {
      result.already_current++;
      continue;
    }
    let resealed: string;
    try {
      resealed = cipher.seal(cipher.open(row.secret));
    } catch (error) {
      result.failed.push({ model_id: row.id, reason: messageOf(error) });
      continue;
    }
    // TypeORM answers an UPDATE with [rows, affected row count].
    const [, affected]: [unknown[], number] = await dataSource.query(`UPDATE "models" SET "secret" = $2 WHERE "id" = $1 AND "secret" = $3`, [row.id, resealed, row.secret]);
    if (affected > 0) result.rotated++;
  }
  return result;
}
