import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import type { Actor, AuditEntry, AuditEventDto, AuditPageDto, AuditQueryDto, AuditVerificationDto, Caller, EventPayload } from '@modelyard/contracts';
import { OutboxService } from '../outbox/outbox.service.js';
import { auditHash, GENESIS_HASH, type HashedAuditRecord } from './audit-hash.util.js';
import { AuditEventEntity } from './entities/audit-event.entity.js';
import { managedModelsSql } from '../access/access-scope.util.js';

/** Keys whose values never enter an audit record, wherever a service put them by mistake. */
const SECRET_KEYS = /^(password|password_hash|api_key|apikey|token|token_hash|secret|sealed_secret|authorization)$/i;
/** Records read per round by verify: bounded memory however long the log grows. */
const VERIFY_BATCH = 2_000;

/** `{ changed: true }`: what a diff says of a secret, which is the one thing the record may keep of it. */
const isChangeMarker = (value: unknown): boolean =>
  typeof value === 'object' && value !== null && Object.keys(value).length === 1 && (value as { changed?: unknown }).changed === true;

/** A copy of `details` with the value of any secret-named key replaced; iterative, since details can nest. */
export function withoutSecrets(details: Record<string, unknown>): Record<string, unknown> {
  const root: Record<string, unknown> = { ...details };
  const stack: Array<Record<string, unknown> | unknown[]> = [root];
  while (stack.length > 0) {
    const container = stack.pop() as Record<string, unknown>;
    for (const key of Object.keys(container)) {
      const value = container[key];
      if (!Array.isArray(container) && SECRET_KEYS.test(key) && typeof value !== 'boolean' && !isChangeMarker(value)) {
        container[key] = '[redacted]';
      } else if (typeof value === 'object' && value !== null) {
        const copy = Array.isArray(value) ? [...(value as unknown[])] : { ...(value as Record<string, unknown>) };
        container[key] = copy;
        stack.push(copy);
      }
    }
  }
  return root;
}

export function toAuditEventDto(row: AuditEventEntity): AuditEventDto {
  return {
    id: row.id,
    seq: Number(row.seq),
    occurred_at: row.occurredAt.toISOString(),
    action: row.action,
    result: row.result,
    actor: { user_id: row.actorUserId, username: row.actorUsername, token_id: row.actorTokenId },
    target_type: row.targetType,
    target_id: row.targetId,
    client_ip: row.clientIp,
    request_id: row.requestId,
    details: row.details,
    hash: row.hash,
  };
}

function hashedRecordOf(row: AuditEventEntity): HashedAuditRecord {
  return {
    seq: String(row.seq),
    id: row.id,
    occurred_at: row.occurredAt.toISOString(),
    action: row.action,
    result: row.result,
    actor_user_id: row.actorUserId,
    actor_username: row.actorUsername,
    actor_token_id: row.actorTokenId,
    target_type: row.targetType,
    target_id: row.targetId,
    client_ip: row.clientIp,
    request_id: row.requestId,
    details: row.details,
  };
}

/**
 * The audit log: append-only, hash-chained records written inside the transaction of the change
 * they describe (no change without its record), each also announced on the audit topic through the
 * outbox. Appends lock the chain's head row, so records are numbered without gaps in commit order.
 */
@Injectable()
export class AuditService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly outbox: OutboxService,
  ) {}

  async append(manager: EntityManager, actor: Actor, entries: readonly AuditEntry[]): Promise<AuditEventDto[]> {
    if (entries.length === 0) return [];
    const [head] = await manager.query<Array<{ seq: string; hash: string }>>(`SELECT "seq", "hash" FROM "audit_chain_head" WHERE "id" = 1 FOR UPDATE`);
    if (!head) throw new Error('the audit chain head is missing: the registry migrations did not run');
    let seq = BigInt(head.seq);
    let prevHash = head.hash;
    // One instant for the records of one change; milliseconds, as timestamptz gives them back.
    const occurredAt = new Date();
    const rows = entries.map((entry) => {
      seq += 1n;
      const row = {
        seq: seq.toString(),
        id: randomUUID(),
        occurredAt,
        action: entry.action,
        result: entry.result,
        actorUserId: actor.user_id ?? null,
        actorUsername: actor.name.slice(0, 200),
        actorTokenId: actor.token_id ?? null,
        targetType: entry.target_type,
        targetId: entry.target_id?.slice(0, 200) ?? null,
        clientIp: actor.client_ip?.slice(0, 64) ?? null,
        requestId: actor.request_id?.slice(0, 128) ?? null,
        details: withoutSecrets(entry.details ?? {}),
        prevHash,
        hash: '',
      } as AuditEventEntity;
      row.hash = auditHash(prevHash, hashedRecordOf(row));
      prevHash = row.hash;
      return row;
    });
    await manager.insert(AuditEventEntity, rows as unknown as Parameters<EntityManager['insert']>[1]);
    await manager.query(`UPDATE "audit_chain_head" SET "seq" = $1, "hash" = $2 WHERE "id" = 1`, [seq.toString(), prevHash]);
    const dtos = rows.map(toAuditEventDto);
    await this.outbox.append(
      manager,
      dtos.map((dto) => ({ type: 'audit.recorded' as const, key: dto.target_id ?? dto.actor.username, payload: toAuditPayload(dto) })),
    );
    return dtos;
  }

  /** Appends records in a transaction of their own (what happened at the gateway: a sign-out, a throttled sign-in). */
  appendAlone(actor: Actor, entries: readonly AuditEntry[]): Promise<AuditEventDto[]> {
    return this.dataSource.transaction((manager) => this.append(manager, actor, entries));
  }

  /** Admins see every record; others only those about models they manage. Newest first. */
  async list(caller: Caller, query: AuditQueryDto): Promise<AuditPageDto> {
    const qb = this.dataSource.getRepository(AuditEventEntity).createQueryBuilder('event');
    if (!caller.scope.all) {
      const managed = managedModelsSql(caller.scope, 'scope');
      qb.andWhere(`event.targetType = 'model' AND event.targetId IN (SELECT m.id::text FROM models m WHERE ${managed.sql})`, managed.params);
    } else if (caller.scope.model_ids !== null) {
      qb.andWhere(`event.targetType = 'model' AND event.targetId IN (:...tokenModels)`, { tokenModels: caller.scope.model_ids.length ? caller.scope.model_ids : [''] });
    }
    if (query.actor) qb.andWhere('lower(event.actorUsername) = lower(:actor)', { actor: query.actor });
    if (query.action?.length) qb.andWhere('event.action IN (:...actions)', { actions: query.action });
    if (query.target_id) qb.andWhere('event.targetId = :target', { target: query.target_id });
    if (query.from) qb.andWhere('event.occurredAt >= :from', { from: query.from });
    if (query.to) qb.andWhere('event.occurredAt < :to', { to: query.to });
    qb.orderBy('event.seq', 'DESC')
      .skip((query.page - 1) * query.page_size)
      .take(query.page_size);
    const [rows, total] = await qb.getManyAndCount();
    return { items: rows.map(toAuditEventDto), total, page: query.page, page_size: query.page_size };
  }

  /**
   * Walks the chain from the first record: each must follow the one before (seq + 1, prev_hash),
   * hash to what it says, and the last must be the head. A removed, edited or inserted record, or
   * a truncated log, is reported with the first record where the chain breaks.
   */
  async verify(): Promise<AuditVerificationDto> {
    const repository = this.dataSource.getRepository(AuditEventEntity);
    let expectedSeq = 1n;
    let prevHash = GENESIS_HASH;
    let checked = 0;
    const broken = (seq: bigint, problem: string): AuditVerificationDto => ({ ok: false, checked, first_bad_seq: Number(seq), problem });
    for (;;) {
      const rows = await repository
        .createQueryBuilder('event')
        .where('event.seq >= :from', { from: expectedSeq.toString() })
        .orderBy('event.seq', 'ASC')
        .take(VERIFY_BATCH)
        .getMany();
      for (const row of rows) {
        const seq = BigInt(row.seq);
        if (seq !== expectedSeq) return broken(expectedSeq, `record ${expectedSeq} is missing (the next one is ${seq})`);
        if (row.prevHash !== prevHash) return broken(seq, `record ${seq} does not follow record ${seq - 1n} (its prev_hash differs)`);
        if (auditHash(prevHash, hashedRecordOf(row)) !== row.hash) return broken(seq, `record ${seq} was altered (its content does not match its hash)`);
        prevHash = row.hash;
        expectedSeq += 1n;
        checked += 1;
      }
      if (rows.length < VERIFY_BATCH) break;
    }
    const [head] = await this.dataSource.query<Array<{ seq: string; hash: string }>>(`SELECT "seq", "hash" FROM "audit_chain_head" WHERE "id" = 1`);
    if (!head || BigInt(head.seq) !== expectedSeq - 1n || head.hash !== prevHash) {
      return broken(expectedSeq, `the log ends at record ${expectedSeq - 1n} but the chain head says ${head?.seq ?? 'nothing'}: records at the end were removed`);
    }
    return { ok: true, checked, first_bad_seq: null, problem: null };
  }
}

export function toAuditPayload(dto: AuditEventDto): EventPayload<'audit.recorded'> {
  const { id: _id, ...payload } = dto;
  return payload;
}
