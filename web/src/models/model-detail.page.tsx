import { ArrowLeftOutlined, EditOutlined, ExperimentOutlined, ReloadOutlined } from '@ant-design/icons';
import { Button, Card, Col, Descriptions, Empty, Row, Segmented, Skeleton, Space, Statistic, Table, Tabs, Tag, Typography } from 'antd';
import { useEffect, useState } from 'react';
import { Link, useParams, useSearchParams } from 'react-router';
import { useApi } from '../api/api-context';
import { isProviderSource, type Artifact, type Model, type ModelStats, type TokenUsage } from '../api/types';
import { useCurrentUser } from '../auth/current-user';
import { ErrorState } from '../common/error-state';
import { formatBytes, formatMs, formatPercent, formatTime } from '../common/format';
import { useRequest } from '../common/use-request';
import { useI18n } from '../i18n/i18n';
import { EditModelModal } from './edit-model-modal';
import { ModelAccessPanel } from './model-access';
import { StatusSwitch, TransferProgress } from './status-cell';
import { CallsChart, LatencyChart, SuccessRateChart } from './stats-charts';
import { TestModelModal } from './test-model-modal';

export const RANGES = { '1h': 3600, '6h': 6 * 3600, '24h': 24 * 3600, '7d': 7 * 24 * 3600 } as const;
export type RangeKey = keyof typeof RANGES;
const isRange = (value: string | null): value is RangeKey => value !== null && value in RANGES;

/** Stats follow new calls without a reload (the metrics service aggregates them within seconds). */
const STATS_POLL_MS = 5000;
const PROGRESS_POLL_MS = 2000;

export function ModelDetailPage() {
  const { id = '' } = useParams();
  const { t } = useI18n();
  const api = useApi();
  const { can } = useCurrentUser();
  const [searchParams, setSearchParams] = useSearchParams();
  const model = useRequest(`model:${id}`, (signal) => api.getModel(id, signal));
  const [editing, setEditing] = useState(false);
  const [testing, setTesting] = useState(false);
  // Who may manage this model is the API's answer (owner, grants); the tab is offered to the roles that can.
  const accessTab = can('models.permissions.read');
  const tab = accessTab && searchParams.get('tab') === 'access' ? 'access' : 'overview';

  const uploading = model.data?.status === 'uploading';
  useEffect(() => {
    if (!uploading) return;
    const timer = setInterval(model.reloadQuietly, PROGRESS_POLL_MS);
    return () => clearInterval(timer);
  }, [uploading, model.reloadQuietly]);

  if (model.error) {
    return (
      <Card>
        <BackLink />
        <ErrorState error={model.error} onRetry={model.reload} />
      </Card>
    );
  }
  if (!model.data) {
    return (
      <Card>
        <Skeleton active paragraph={{ rows: 8 }} />
      </Card>
    );
  }
  const m = model.data;
  return (
    <Space orientation="vertical" size="middle" style={{ width: '100%' }}>
      <Card
        title={
          <Space>
            <BackLink />
            <Typography.Title level={4} style={{ margin: 0 }}>
              {m.name} <Typography.Text type="secondary">{m.version}</Typography.Text>
            </Typography.Title>
          </Space>
        }
        extra={
          <Space>
            <StatusSwitch model={m} onChanged={model.reloadQuietly} readOnly={!can('models.edit')} />
            {can('models.edit') && (
              <Button icon={<EditOutlined />} onClick={() => setEditing(true)}>
                {t('list.edit')}
              </Button>
            )}
            {can('models.use') && (
              <Button icon={<ExperimentOutlined />} onClick={() => setTesting(true)} disabled={m.status !== 'active'}>
                {t('list.test')}
              </Button>
            )}
          </Space>
        }
      >
        <ModelDescriptions model={m} />
      </Card>
      {accessTab ? (
        <Tabs
          activeKey={tab}
          onChange={(key) => setSearchParams(key === 'access' ? { tab: 'access' } : {})}
          items={[
            { key: 'overview', label: t('detail.overview'), children: <Overview model={m} /> },
            { key: 'access', label: t('access.tab'), children: <Card><ModelAccessPanel modelId={m.id} /></Card> },
          ]}
        />
      ) : (
        <Overview model={m} />
      )}
      {editing && <EditModelModal model={m} onClose={() => setEditing(false)} onSaved={model.reloadQuietly} />}
      {testing && <TestModelModal model={m} onClose={() => setTesting(false)} />}
    </Space>
  );
}

function Overview({ model }: { model: Model }) {
  return (
    <Space orientation="vertical" size="middle" style={{ width: '100%' }}>
      <ArtifactsCard artifacts={model.artifacts} />
      <MonitoringCard model={model} />
    </Space>
  );
}

function BackLink() {
  const { t } = useI18n();
  return (
    <Link to="/models" aria-label={t('common.back')}>
      <ArrowLeftOutlined />
    </Link>
  );
}

function ModelDescriptions({ model: m }: { model: Model }) {
  const { t } = useI18n();
  const none = t('common.none');
  return (
    <>
      <Descriptions bordered size="small" column={{ xs: 1, md: 2, xl: 3 }} data-testid="model-details">
        <Descriptions.Item label={t('model.type')}>{t(`type.${m.type}`)}</Descriptions.Item>
        <Descriptions.Item label={t('model.framework')}>{t(`framework.${m.framework}`)}</Descriptions.Item>
        <Descriptions.Item label={t('model.source')}>{t(`source.${m.source}`)}</Descriptions.Item>
        <Descriptions.Item label={t('model.endpoint')}>{m.endpoint ?? none}</Descriptions.Item>
        <Descriptions.Item label={t('model.accuracy')}>{formatPercent(m.accuracy) ?? none}</Descriptions.Item>
        <Descriptions.Item label={t('model.latency')}>{formatMs(m.latency_ms) ?? none}</Descriptions.Item>
        <Descriptions.Item label={t('model.calls')}>{m.usage ? m.usage.calls : none}</Descriptions.Item>
        <Descriptions.Item label={t('model.successRate')}>{formatPercent(m.usage?.success_rate) ?? none}</Descriptions.Item>
        <Descriptions.Item label={t('model.license')}>{m.license ?? none}</Descriptions.Item>
        <Descriptions.Item label={t('model.owner')}>{m.owner}</Descriptions.Item>
        <Descriptions.Item label={t('model.created')}>{formatTime(m.created_at)}</Descriptions.Item>
        <Descriptions.Item label={t('model.updated')}>{formatTime(m.updated_at)}</Descriptions.Item>
        {isProviderSource(m.source) && (
          <>
            <Descriptions.Item label={t('model.providerModel')}>{m.provider_model ?? none}</Descriptions.Item>
            <Descriptions.Item label={t('model.apiKey')}>
              {m.has_api_key ? t('model.apiKeyStored', { last4: m.api_key_last4 ?? '····' }) : t('model.apiKeyNone')}
            </Descriptions.Item>
          </>
        )}
        {m.import && (
          <Descriptions.Item label={t('model.import')} span={2}>
            {m.import.repo} @ {m.import.revision}
            {m.import.commit ? ` (${t('model.commit')} ${m.import.commit.slice(0, 12)})` : ''}
          </Descriptions.Item>
        )}
        {m.status_message && <Descriptions.Item label={t('detail.statusMessage')} span={3}>{m.status_message}</Descriptions.Item>}
        <Descriptions.Item label={t('model.tags')} span={3}>
          {m.tags.length ? m.tags.map((tag) => <Tag key={tag}>{tag}</Tag>) : none}
        </Descriptions.Item>
        <Descriptions.Item label={t('model.description')} span={3}>
          {m.description ?? none}
        </Descriptions.Item>
        <Descriptions.Item label={t('model.inputFormat')}>{m.config.input_format ?? none}</Descriptions.Item>
        <Descriptions.Item label={t('model.outputFormat')}>{m.config.output_format ?? none}</Descriptions.Item>
        <Descriptions.Item label={t('model.env')}>
          {Object.keys(m.config.env ?? {}).length ? Object.keys(m.config.env).map((name) => <Tag key={name}>{name}</Tag>) : none}
        </Descriptions.Item>
        <Descriptions.Item label={t('model.parameters')} span={3}>
          <code>{JSON.stringify(m.config.parameters ?? {})}</code>
        </Descriptions.Item>
      </Descriptions>
      {m.status === 'uploading' && (
        <div style={{ marginTop: 16 }}>
          <Typography.Text strong>{t('detail.progress')}</Typography.Text>
          <TransferProgress model={m} />
        </div>
      )}
    </>
  );
}

function ArtifactsCard({ artifacts }: { artifacts: Artifact[] }) {
  const { t } = useI18n();
  return (
    <Card title={t('detail.artifacts')}>
      <Table<Artifact>
        size="small"
        rowKey="path"
        dataSource={artifacts}
        pagination={artifacts.length > 10 ? { pageSize: 10 } : false}
        locale={{ emptyText: <Empty description={t('detail.noArtifacts')} /> }}
        data-testid="artifacts"
        columns={[
          { title: t('detail.path'), dataIndex: 'path', render: (path: string) => <code>{path}</code> },
          { title: t('detail.size'), dataIndex: 'size', width: 110, render: (size: number) => formatBytes(size) },
          { title: t('detail.format'), dataIndex: 'format', width: 110 },
          {
            title: t('detail.sha256'),
            dataIndex: 'sha256',
            render: (sha: string) => (
              <Typography.Text code copyable={{ text: sha }} style={{ fontSize: 12 }}>
                {sha}
              </Typography.Text>
            ),
          },
          { title: t('detail.primary'), dataIndex: 'primary', width: 90, render: (primary: boolean) => (primary ? <Tag color="blue">{t('detail.primary')}</Tag> : null) },
        ]}
      />
    </Card>
  );
}

function MonitoringCard({ model }: { model: Model }) {
  const { t } = useI18n();
  const api = useApi();
  const [searchParams, setSearchParams] = useSearchParams();
  const rangeParam = searchParams.get('range');
  const range: RangeKey = isRange(rangeParam) ? rangeParam : '1h';
  const stats = useRequest(`stats:${model.id}:${range}`, (signal) => {
    const to = new Date();
    const from = new Date(to.getTime() - RANGES[range] * 1000);
    return api.getStats(model.id, { from: from.toISOString(), to: to.toISOString() }, signal);
  });
  useEffect(() => {
    const timer = setInterval(stats.reloadQuietly, STATS_POLL_MS);
    return () => clearInterval(timer);
  }, [stats.reloadQuietly]);

  return (
    <Card
      title={t('detail.monitoring')}
      extra={
        <Space>
          <span>{t('detail.range')}</span>
          <Segmented<RangeKey>
            value={range}
            onChange={(next) => setSearchParams(next === '1h' ? {} : { range: next })}
            options={(Object.keys(RANGES) as RangeKey[]).map((key) => ({ value: key, label: t(`detail.range.${key}`) }))}
          />
          <Button icon={<ReloadOutlined />} onClick={stats.reload} aria-label={t('common.refresh')} />
        </Space>
      }
    >
      {stats.error ? (
        <ErrorState error={stats.error} onRetry={stats.reload} />
      ) : !stats.data ? (
        <Skeleton active />
      ) : (
        <StatsBody stats={stats.data} />
      )}
    </Card>
  );
}

function StatsBody({ stats }: { stats: ModelStats }) {
  const { t } = useI18n();
  const none = t('common.none');
  // Shown only where something counted tokens (provider models).
  const tokens = stats.tokens.input + stats.tokens.output > 0 ? stats.tokens : null;
  // What a user's or a token's calls add up to: the same columns in both tables.
  const usageColumns = [
    { title: t('model.calls'), dataIndex: 'calls', width: 90 },
    { title: t('test.inputTokens'), dataIndex: 'input_tokens', width: 110 },
    { title: t('test.outputTokens'), dataIndex: 'output_tokens', width: 110 },
    { title: t('model.successRate'), dataIndex: 'success_rate', width: 110, render: (r: number | null | undefined) => formatPercent(r) ?? none },
  ];
  return (
    <Space orientation="vertical" size="large" style={{ width: '100%' }} data-testid="model-stats">
      <Row gutter={[16, 16]}>
        <Col xs={12} md={4}>
          <Statistic title={t('model.calls')} value={stats.calls} data-testid="stat-calls" />
        </Col>
        <Col xs={12} md={4}>
          <Statistic title={t('model.successRate')} value={formatPercent(stats.success_rate) ?? none} />
        </Col>
        <Col xs={12} md={4}>
          <Statistic title="p50" value={formatMs(stats.latency_ms?.p50) ?? none} />
        </Col>
        <Col xs={12} md={4}>
          <Statistic title="p95" value={formatMs(stats.latency_ms?.p95) ?? none} />
        </Col>
        <Col xs={12} md={4}>
          <Statistic title="p99" value={formatMs(stats.latency_ms?.p99) ?? none} />
        </Col>
        <Col xs={12} md={4}>
          <Statistic title={t('detail.throughput')} value={t('detail.rps', { value: stats.throughput_rps.toFixed(3) })} />
        </Col>
        {tokens && (
          <Col xs={24} md={8}>
            <Statistic title={t('detail.tokens')} value={`${t('test.inputTokens')} ${tokens.input} · ${t('test.outputTokens')} ${tokens.output}`} />
          </Col>
        )}
      </Row>
      {stats.calls === 0 && <Typography.Text type="secondary">{t('detail.noCalls')}</Typography.Text>}
      <Row gutter={[16, 16]}>
        <Col xs={24} lg={8}>
          <Typography.Text strong>{t('detail.callsChart')}</Typography.Text>
          <CallsChart stats={stats} />
        </Col>
        <Col xs={24} lg={8}>
          <Typography.Text strong>{t('detail.successChart')}</Typography.Text>
          <SuccessRateChart stats={stats} />
        </Col>
        <Col xs={24} lg={8}>
          <Typography.Text strong>{t('detail.latencyChart')}</Typography.Text>
          <LatencyChart stats={stats} />
        </Col>
      </Row>
      <Row gutter={[16, 16]}>
        <Col xs={24} lg={12}>
          <Typography.Title level={5}>{t('detail.errors')}</Typography.Title>
          <Table
            size="small"
            rowKey="class"
            pagination={false}
            dataSource={stats.errors}
            locale={{ emptyText: <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={t('detail.noErrors')} /> }}
            columns={[
              { title: t('detail.errorClass'), dataIndex: 'class', render: (c: string) => <Tag color="red">{c}</Tag> },
              { title: t('detail.errorCount'), dataIndex: 'count', width: 100 },
            ]}
          />
        </Col>
        {stats.by_user.length > 0 && (
          <Col xs={24} lg={12}>
            <Typography.Title level={5}>{t('detail.byUser')}</Typography.Title>
            <Table
              size="small"
              rowKey={(row) => row.user_id ?? `name:${row.username}`}
              pagination={false}
              dataSource={stats.by_user}
              columns={[{ title: t('detail.user'), dataIndex: 'username' }, ...usageColumns]}
            />
          </Col>
        )}
        {(stats.by_token ?? []).length > 0 && (
          <Col xs={24} lg={12}>
            <Typography.Title level={5}>{t('detail.byToken')}</Typography.Title>
            <Table
              size="small"
              rowKey="token_id"
              pagination={false}
              dataSource={stats.by_token}
              columns={[
                {
                  title: t('detail.token'),
                  key: 'token',
                  render: (_: unknown, row: TokenUsage) => (
                    <span>
                      {row.name ?? none} <Typography.Text type="secondary" code>{row.prefix ?? row.token_id.slice(0, 8)}…</Typography.Text>
                    </span>
                  ),
                },
                { title: t('detail.user'), key: 'user', render: (_: unknown, row: TokenUsage) => row.user?.username ?? none },
                ...usageColumns,
              ]}
            />
          </Col>
        )}
      </Row>
    </Space>
  );
}
