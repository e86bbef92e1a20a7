import { describe, expect, it } from '@jest/globals';
import { auditSearchParams, parseAuditQuery, withAuditChange } from './audit-query';

describe('audit query in the URL', () => {
  it('reads the filters the API knows and drops the rest', () => {
    const query = parseAuditQuery(
      new URLSearchParams('actor=%20mei%20&action=model.delete&action=nope&action=model.delete&target_id=m1&from=2026-01-01T00:00:00Z&to=not-a-date&page=3&page_size=500'),
    );
    expect(query).toEqual({
      actor: 'mei',
      action: ['model.delete'],
      target_id: 'm1',
      from: '2026-01-01T00:00:00.000Z',
      to: undefined,
      page: 3,
      page_size: 50,
    });
  });

  it('writes it back without defaults, and a filter change goes back to page 1', () => {
    const query = parseAuditQuery(new URLSearchParams('action=auth.login&page=4'));
    expect(auditSearchParams(query).toString()).toBe('action=auth.login&page=4');
    const changed = withAuditChange(query, { action: ['auth.login', 'auth.login_failed'] });
    expect(auditSearchParams(changed).toString()).toBe('action=auth.login&action=auth.login_failed');
    expect(auditSearchParams(withAuditChange(query, { page: 5 })).toString()).toBe('action=auth.login&page=5');
    expect(auditSearchParams(parseAuditQuery(new URLSearchParams())).toString()).toBe('');
  });
});
