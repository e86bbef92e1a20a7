import { Injectable } from '@nestjs/common';
import { DataSource, QueryFailedError, type EntityManager } from 'typeorm';
import type { Actor, AuditEntry } from '@modelyard/contracts';
import { AuditService } from '../audit/audit.service.js';
import { OutboxRelayService } from '../outbox/outbox-relay.service.js';
import { OutboxService, type PendingEvent } from '../outbox/outbox.service.js';

const PG_UNIQUE_VIOLATION = '23505';

/** What a change did: its result, the events to announce and the audit records to keep. */
export interface ChangeOutcome<T> {
  result: T;
  events?: PendingEvent[];
  audit?: AuditEntry[];
  /**
   * A refusal to raise after committing: the audit of a failed attempt (a wrong password) must be
   * kept although the request fails.
   */
  refusal?: Error;
}

/**
 * Runs a change with its outbox events and audit records in one transaction: nothing is announced
 * or audited that was not committed, and nothing is committed without its audit record. Wakes the
 * relay after the commit. A unique violation becomes `onDuplicate`'s error after the rollback.
 */
@Injectable()
export class ChangeRunner {
  constructor(
    private readonly dataSource: DataSource,
    private readonly outbox: OutboxService,
    private readonly relay: OutboxRelayService,
    private readonly audit: AuditService,
  ) {}

  async run<T>(actor: Actor, work: (manager: EntityManager) => Promise<ChangeOutcome<T>>, onDuplicate?: (constraint: string | undefined) => Error): Promise<T> {
    let outcome: ChangeOutcome<T>;
    try {
      outcome = await this.dataSource.transaction(async (manager) => {
        const done = await work(manager);
        if (done.events?.length) await this.outbox.append(manager, done.events);
        if (done.audit?.length) await this.audit.append(manager, actor, done.audit);
        return done;
      });
    } catch (error) {
      const driver = error instanceof QueryFailedError ? (error.driverError as { code?: string; constraint?: string }) : undefined;
      if (driver?.code === PG_UNIQUE_VIOLATION && onDuplicate) throw onDuplicate(driver.constraint);
      throw error;
    }
    if (outcome.events?.length || outcome.audit?.length) this.relay.wake();
    if (outcome.refusal) throw outcome.refusal;
    return outcome.result;
  }
}
