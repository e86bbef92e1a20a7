import { ReloadOutlined, SafetyCertificateOutlined } from '@ant-design/icons';
import { Alert, Button, Card, DatePicker, Descriptions, Empty, Input, Select, Space, Table, Tag, Tooltip, Typography } from 'antd';
import dayjs from 'dayjs';
import { useMemo, useState } from 'react';
import { Link, useSearchParams } from 'react-router';
import { useApi } from '../api/api-context';
import { AUDIT_ACTIONS, AUDIT_TARGET_TYPES, type AuditEvent, type AuditTargetType, type AuditQuery, type AuditVerification } from '../api/identity-types';
import { useCurrentUser } from '../auth/current-user';
import { ErrorState, ProblemAlert } from '../common/error-state';
import { formatTime } from '../common/format';
import { useRequest } from '../common/use-request';
import { useI18n } from '../i18n/i18n';
import { AUDIT_PAGE_SIZES, auditSearchParams, parseAuditQuery, withAuditChange } from './audit-query';

/**
 * The audit log: admins see every event; a maintainer the events of the models it manages (the API
 * decides). Filters and the page are in the URL; paging is the server's.
 */
export function AuditPage() {
  const { t } = useI18n();
  const api = useApi();
  const { can } = useCurrentUser();
  const [searchParams, setSearchParams] = useSearchParams();
  const query = useMemo(() => parseAuditQuery(searchParams), [searchParams]);
  const key = auditSearchParams(query).toString();
  const events = useRequest(`audit:${key}`, (signal) => api.listAuditEvents(query, signal));
  const change = (next: Partial<AuditQuery>) => setSearchParams(auditSearchParams(withAuditChange(query, next)));
  const filtered = Boolean(query.actor || query.action?.length || query.target_id || query.from || query.to);

  // The text boxes follow the URL (back button, "clear filters") as well as typing.
  const [actor, setActor] = useState(query.actor ?? '');
  const [target, setTarget] = useState(query.target_id ?? '');
  const [shownOf, setShownOf] = useState(key);
  if (shownOf !== key) {
    setShownOf(key);
    setActor(query.actor ?? '');
    setTarget(query.target_id ?? '');
  }

  const none = t('common.none');
  const columns = [
    { title: t('audit.time'), key: 'time', width: 170, render: (_: unknown, e: AuditEvent) => formatTime(e.occurred_at) },
    {
      title: t('audit.actor'),
      key: 'actor',
      render: (_: unknown, e: AuditEvent) => (
        <Space size={4}>
          <span>{e.actor.username}</span>
          {e.actor.token_id && <Tooltip title={e.actor.token_id}><Tag>{t('audit.viaToken')}</Tag></Tooltip>}
        </Space>
      ),
    },
    {
      title: t('audit.action'),
      key: 'action',
      render: (_: unknown, e: AuditEvent) => (
        <Tooltip title={e.action}>
          <Tag color="blue" data-action={e.action}>{t(`audit.action.${e.action}`)}</Tag>
        </Tooltip>
      ),
    },
    { title: t('audit.target'), key: 'target', render: (_: unknown, e: AuditEvent) => <AuditTarget event={e} /> },
    {
      title: t('audit.result'),
      key: 'result',
      render: (_: unknown, e: AuditEvent) => <Tag color={e.result === 'success' ? 'green' : 'red'}>{t(`audit.result.${e.result}`)}</Tag>,
    },
    { title: t('audit.clientIp'), key: 'client_ip', render: (_: unknown, e: AuditEvent) => e.client_ip ?? none },
    {
      title: t('audit.requestId'),
      key: 'request_id',
      render: (_: unknown, e: AuditEvent) =>
        e.request_id ? <Typography.Text code copyable={{ text: e.request_id }} style={{ fontSize: 12 }}>{e.request_id.slice(0, 8)}</Typography.Text> : none,
    },
  ];

  return (
    <Card
      title={<Typography.Title level={4} style={{ margin: 0 }}>{t('audit.title')}</Typography.Title>}
      extra={
        <Space>
          {can('audit.verify') && <VerifyButton />}
          <Button icon={<ReloadOutlined />} onClick={events.reload} aria-label={t('common.refresh')} />
        </Space>
      }
    >
      <Space wrap style={{ marginBottom: 16 }} data-testid="audit-filters">
        <Input.Search
          allowClear
          placeholder={t('audit.actor')}
          aria-label={t('audit.filterActor')}
          value={actor}
          onChange={(e) => setActor(e.target.value)}
          onSearch={(value) => change({ actor: value.trim() || undefined })}
          style={{ width: 180 }}
        />
        <Select
          mode="multiple"
          allowClear
          placeholder={t('audit.action')}
          aria-label={t('audit.filterAction')}
          value={query.action ?? []}
          onChange={(action: AuditEvent['action'][]) => change({ action: action.length ? action : undefined })}
          options={AUDIT_ACTIONS.map((value) => ({ value, label: t(`audit.action.${value}`) }))}
          optionFilterProp="label"
          style={{ minWidth: 240 }}
          maxTagCount="responsive"
          data-testid="filter-action"
        />
        <Input.Search
          allowClear
          placeholder={t('audit.target')}
          aria-label={t('audit.filterTarget')}
          value={target}
          onChange={(e) => setTarget(e.target.value)}
          onSearch={(value) => change({ target_id: value.trim() || undefined })}
          style={{ width: 280 }}
        />
        <DatePicker.RangePicker
          showTime
          allowEmpty={[true, true]}
          value={[query.from ? dayjs(query.from) : null, query.to ? dayjs(query.to) : null]}
          onChange={(range) => change({ from: range?.[0]?.toISOString() ?? undefined, to: range?.[1]?.toISOString() ?? undefined })}
          aria-label={t('audit.filterTime')}
          data-testid="filter-time"
        />
        {filtered && (
          <Button type="link" onClick={() => setSearchParams(new URLSearchParams())}>
            {t('list.clear')}
          </Button>
        )}
      </Space>
      {events.error ? (
        <ErrorState error={events.error} onRetry={events.reload} />
      ) : (
        <Table<AuditEvent>
          rowKey="id"
          size="middle"
          loading={events.loading}
          dataSource={events.data?.items ?? []}
          columns={columns}
          scroll={{ x: 1100 }}
          data-testid="audit-table"
          expandable={{ expandedRowRender: (e) => <AuditDetails event={e} /> }}
          locale={{ emptyText: events.loading ? ' ' : <Empty description={filtered ? t('audit.emptyFiltered') : t('audit.empty')} /> }}
          onChange={(pagination, _filters, _sorter, { action }) => {
            if (action !== 'paginate') return;
            const sizeChanged = pagination.pageSize !== query.page_size;
            change({ page: sizeChanged ? 1 : pagination.current, page_size: pagination.pageSize });
          }}
          pagination={{
            current: query.page,
            pageSize: query.page_size,
            total: events.data?.total ?? 0,
            showSizeChanger: true,
            pageSizeOptions: AUDIT_PAGE_SIZES,
            showTotal: (total) => t('audit.total', { total }),
          }}
        />
      )}
    </Card>
  );
}

const isTargetType = (value: string | null): value is AuditTargetType => (AUDIT_TARGET_TYPES as readonly string[]).includes(value ?? '');

function AuditTarget({ event: e }: { event: AuditEvent }) {
  const { t } = useI18n();
  // A target type newer than the console is shown as the API names it.
  const type = isTargetType(e.target_type) ? t(`audit.targetType.${e.target_type}`) : e.target_type;
  if (!e.target_id) return <>{type ?? t('common.none')}</>;
  const label = typeof e.details['name'] === 'string' ? String(e.details['name']) : e.target_id;
  return (
    <Space size={4}>
      {type && <Tag>{type}</Tag>}
      {/* A deleted model's page would only say "not found": its id is shown as text. */}
      {e.target_type === 'model' && e.action !== 'model.delete' ? <Link to={`/models/${e.target_id}`}>{label}</Link> : <span>{label}</span>}
    </Space>
  );
}

function AuditDetails({ event: e }: { event: AuditEvent }) {
  const { t } = useI18n();
  return (
    <Descriptions size="small" column={1} bordered data-testid={`audit-details-${e.seq}`}>
      <Descriptions.Item label={t('audit.details')}>
        <pre style={{ margin: 0, whiteSpace: 'pre-wrap', wordBreak: 'break-all', fontSize: 12 }}>{JSON.stringify(e.details, null, 2)}</pre>
      </Descriptions.Item>
      <Descriptions.Item label={t('audit.targetId')}>{e.target_id ?? t('common.none')}</Descriptions.Item>
      <Descriptions.Item label={t('audit.requestId')}>{e.request_id ?? t('common.none')}</Descriptions.Item>
      <Descriptions.Item label={t('audit.seq')}>
        #{e.seq} · <Typography.Text code style={{ fontSize: 12 }}>{e.hash}</Typography.Text>
      </Descriptions.Item>
    </Descriptions>
  );
}

/** Admins: checks the log's hash chain (GET /audit-events/verify) and says whether it is intact. */
function VerifyButton() {
  const { t } = useI18n();
  const api = useApi();
  const [checking, setChecking] = useState(false);
  const [outcome, setOutcome] = useState<{ result?: AuditVerification; error?: unknown } | null>(null);
  const verify = async () => {
    setChecking(true);
    try {
      setOutcome({ result: await api.verifyAuditLog() });
    } catch (error) {
      setOutcome({ error });
    } finally {
      setChecking(false);
    }
  };
  return (
    <Space>
      {outcome?.result && (
        <Alert
          type={outcome.result.ok ? 'success' : 'error'}
          showIcon
          data-testid="audit-verification"
          title={
            outcome.result.ok
              ? t('audit.verifyOk', { checked: outcome.result.checked })
              : t('audit.verifyBad', { seq: outcome.result.first_bad_seq ?? '?', problem: outcome.result.problem ?? '' })
          }
          style={{ padding: '2px 8px' }}
        />
      )}
      {outcome?.error !== undefined && <ProblemAlert error={outcome.error} />}
      <Button icon={<SafetyCertificateOutlined />} onClick={verify} loading={checking}>
        {t('audit.verify')}
      </Button>
    </Space>
  );
}
