import { PlusOutlined, ReloadOutlined, StopOutlined } from '@ant-design/icons';
import { App, Button, Card, Checkbox, Empty, Popconfirm, Space, Table, Tag, Tooltip, Typography } from 'antd';
import { useMemo, useState } from 'react';
import { useSearchParams } from 'react-router';
import { useApi } from '../api/api-context';
import type { ApiToken, CreatedToken } from '../api/identity-types';
import { useCurrentUser } from '../auth/current-user';
import { ErrorState, useErrorText } from '../common/error-state';
import { formatTime } from '../common/format';
import { useRequest } from '../common/use-request';
import { useI18n } from '../i18n/i18n';
import { limitsText } from '../identity/identity-options';
import { CreateTokenModal } from './create-token-modal';
import { TokenCreatedModal } from './token-created-modal';

export type TokenState = 'active' | 'expired' | 'revoked';

export function tokenState(token: Pick<ApiToken, 'revoked_at' | 'expires_at'>, now = Date.now()): TokenState {
  if (token.revoked_at) return 'revoked';
  if (token.expires_at && Date.parse(token.expires_at) <= now) return 'expired';
  return 'active';
}

const STATE_COLORS: Record<TokenState, string> = { active: 'green', expired: 'orange', revoked: 'red' };

/** My API tokens (an admin sees everyone's): create one, copied once; revoke with confirmation. */
export function TokensPage() {
  const { t } = useI18n();
  const api = useApi();
  const { me, can } = useCurrentUser();
  const { message } = App.useApp();
  const errorText = useErrorText();
  const [searchParams, setSearchParams] = useSearchParams();
  const everyone = can('users.manage');
  const mine = !everyone || searchParams.get('mine') === 'true';
  const tokens = useRequest(`tokens:${mine}`, (signal) => api.listTokens({ mine }, signal));
  // Names for the model ids a token is limited to; a model the caller cannot read shows as its id.
  const models = useRequest('token-model-names', (signal) => api.listModels({ page_size: 200 }, signal));
  const modelNames = useMemo(() => new Map((models.data?.items ?? []).map((m) => [m.id, `${m.name} ${m.version}`])), [models.data]);
  const [creating, setCreating] = useState(false);
  const [created, setCreated] = useState<CreatedToken | null>(null);

  const revoke = async (token: ApiToken) => {
    try {
      await api.revokeToken(token.id);
      message.success(t('tokens.revoked', { name: token.name }));
      tokens.reload();
    } catch (failure) {
      const text = errorText(failure);
      message.error(`${text.title}: ${text.detail}`);
    }
  };

  const none = t('common.none');
  const columns = [
    { title: t('tokens.name'), key: 'name', render: (_: unknown, k: ApiToken) => <Typography.Text strong>{k.name}</Typography.Text> },
    ...(everyone ? [{ title: t('tokens.user'), key: 'user', render: (_: unknown, k: ApiToken) => k.user.username }] : []),
    { title: t('tokens.token'), key: 'prefix', render: (_: unknown, k: ApiToken) => <Typography.Text code>{`${k.prefix}…${k.last4}`}</Typography.Text> },
    { title: t('tokens.scopes'), key: 'scopes', render: (_: unknown, k: ApiToken) => k.scopes.map((s) => <Tag key={s}>{t(`scope.${s}`)}</Tag>) },
    {
      title: t('tokens.models'),
      key: 'models',
      render: (_: unknown, k: ApiToken) =>
        k.model_ids === null ? (
          <Typography.Text type="secondary">{t('tokens.allModels')}</Typography.Text>
        ) : (
          k.model_ids.map((id) => <Tag key={id}>{modelNames.get(id) ?? id}</Tag>)
        ),
    },
    { title: t('limits.title'), key: 'limits', render: (_: unknown, k: ApiToken) => limitsText(k, t) ?? none },
    { title: t('model.created'), key: 'created_at', render: (_: unknown, k: ApiToken) => formatTime(k.created_at) },
    { title: t('tokens.lastUsed'), key: 'last_used_at', render: (_: unknown, k: ApiToken) => formatTime(k.last_used_at) ?? t('tokens.neverUsed') },
    { title: t('tokens.expires'), key: 'expires_at', render: (_: unknown, k: ApiToken) => formatTime(k.expires_at) ?? t('tokens.never') },
    {
      title: t('model.status'),
      key: 'state',
      render: (_: unknown, k: ApiToken) => {
        const state = tokenState(k);
        const tag = <Tag color={STATE_COLORS[state]} data-state={state}>{t(`tokens.state.${state}`)}</Tag>;
        return k.revoked_at ? <Tooltip title={formatTime(k.revoked_at)}>{tag}</Tooltip> : tag;
      },
    },
    {
      title: t('common.actions'),
      key: 'actions',
      render: (_: unknown, k: ApiToken) =>
        k.revoked_at ? null : (
          <Popconfirm
            title={t('tokens.revokeConfirm', { name: k.name })}
            description={t('tokens.revokeDetail')}
            okText={t('tokens.revoke')}
            cancelText={t('common.cancel')}
            okButtonProps={{ danger: true }}
            onConfirm={() => revoke(k)}
          >
            <Button type="text" danger icon={<StopOutlined />} aria-label={`${t('tokens.revoke')} ${k.name}`}>
              {t('tokens.revoke')}
            </Button>
          </Popconfirm>
        ),
    },
  ];

  return (
    <Card
      title={<Typography.Title level={4} style={{ margin: 0 }}>{everyone && !mine ? t('tokens.titleAll') : t('tokens.title')}</Typography.Title>}
      extra={
        <Space>
          {everyone && (
            <Checkbox checked={mine} onChange={(e) => setSearchParams(e.target.checked ? { mine: 'true' } : {})}>
              {t('tokens.onlyMine')}
            </Checkbox>
          )}
          <Button icon={<ReloadOutlined />} onClick={tokens.reload} aria-label={t('common.refresh')} />
          <Button type="primary" icon={<PlusOutlined />} onClick={() => setCreating(true)}>
            {t('tokens.add')}
          </Button>
        </Space>
      }
    >
      {tokens.error ? (
        <ErrorState error={tokens.error} onRetry={tokens.reload} />
      ) : (
        <Table<ApiToken>
          rowKey="id"
          loading={tokens.loading}
          dataSource={tokens.data?.items ?? []}
          columns={columns}
          scroll={{ x: 1200 }}
          locale={{ emptyText: tokens.loading ? ' ' : <Empty description={t('tokens.empty')} /> }}
          pagination={{ pageSize: 50, hideOnSinglePage: true }}
          data-testid="tokens-table"
        />
      )}
      {creating && (
        <CreateTokenModal
          me={me}
          onClose={() => setCreating(false)}
          onCreated={(token) => {
            setCreating(false);
            setCreated(token);
            tokens.reloadQuietly();
          }}
        />
      )}
      {created && <TokenCreatedModal token={created} onClose={() => setCreated(null)} />}
    </Card>
  );
}
