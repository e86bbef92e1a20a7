import { DeleteOutlined, PlusOutlined, TeamOutlined, UserOutlined } from '@ant-design/icons';
import { Alert, App, AutoComplete, Button, Descriptions, Empty, Radio, Select, Skeleton, Space, Table, Tag, Typography } from 'antd';
import { useState } from 'react';
import { useApi } from '../api/api-context';
import { ApiError } from '../api/client';
import type { ModelAccessLevel, ModelGrant, ModelPermissions, ModelVisibility } from '../api/identity-types';
import type { FieldError } from '../api/types';
import { useCurrentUser } from '../auth/current-user';
import { ErrorState, ProblemAlert, useErrorText } from '../common/error-state';
import { useRequest } from '../common/use-request';
import { useI18n } from '../i18n/i18n';
import { levelOptions } from '../identity/identity-options';
import { USERNAME_PATTERN } from '../identity/user-form-modal';

type Draft = Pick<ModelPermissions, 'visibility' | 'grants'>;
type GranteeKind = 'user' | 'team';

const granteeOf = (grant: ModelGrant): { kind: GranteeKind; name: string } =>
  grant.team !== undefined ? { kind: 'team', name: grant.team } : { kind: 'user', name: grant.user ?? '' };
const keyOf = (grant: ModelGrant) => {
  const { kind, name } = granteeOf(grant);
  // Names are unique regardless of case (user.dto.ts): "Mei" and "mei" are one grantee.
  return `${kind}:${name.toLowerCase()}`;
};

/** Adds a grant, or changes the level of the grantee's grant where it has one already. */
export function withGrant(grants: ModelGrant[], kind: GranteeKind, name: string, level: ModelAccessLevel): ModelGrant[] {
  const grant: ModelGrant = kind === 'user' ? { user: name, level } : { team: name, level };
  const key = keyOf(grant);
  return grants.some((g) => keyOf(g) === key) ? grants.map((g) => (keyOf(g) === key ? grant : g)) : [...grants, grant];
}

const sameDraft = (a: Draft, b: Draft) => a.visibility === b.visibility && JSON.stringify(a.grants) === JSON.stringify(b.grants);

/**
 * The model page's Access tab: visibility, owner and grants, saved with one PUT (it replaces every
 * grant). Who may manage a model depends on its owner and grants, which the console cannot know in
 * advance: the API's 403 (or 404) on reading them shows as a read-only note.
 */
export function ModelAccessPanel({ modelId }: { modelId: string }) {
  const { t } = useI18n();
  const api = useApi();
  const permissions = useRequest(`permissions:${modelId}`, (signal) => api.getPermissions(modelId, signal));
  if (permissions.error instanceof ApiError && (permissions.error.status === 403 || permissions.error.status === 404)) {
    return <Alert type="info" showIcon title={t('access.readOnly')} description={permissions.error.detail} data-testid="access-read-only" />;
  }
  if (permissions.error) return <ErrorState error={permissions.error} onRetry={permissions.reload} />;
  if (!permissions.data) return <Skeleton active />;
  return <AccessEditor modelId={modelId} stored={permissions.data} onSaved={(saved) => permissions.update(() => saved)} />;
}

function AccessEditor({ modelId, stored, onSaved }: { modelId: string; stored: ModelPermissions; onSaved(saved: ModelPermissions): void }) {
  const { t } = useI18n();
  const api = useApi();
  const { message } = App.useApp();
  const errorText = useErrorText();
  const [draft, setDraft] = useState<Draft>({ visibility: stored.visibility, grants: stored.grants });
  const [saving, setSaving] = useState(false);
  const [failure, setFailure] = useState<{ error: unknown; unplaced: FieldError[] } | null>(null);
  const dirty = !sameDraft(draft, stored);

  const save = async () => {
    setSaving(true);
    setFailure(null);
    try {
      const saved = await api.updatePermissions(modelId, draft);
      setDraft({ visibility: saved.visibility, grants: saved.grants });
      onSaved(saved);
      message.success(t('access.saved'));
    } catch (error) {
      // Grant errors name a row (`grants.2`) or the list: shown with the problem, next to the table.
      setFailure({ error, unplaced: error instanceof ApiError ? error.errors : [] });
      if (!(error instanceof ApiError)) message.error(errorText(error).detail);
    } finally {
      setSaving(false);
    }
  };

  const setLevel = (grant: ModelGrant, level: ModelAccessLevel) => {
    const { kind, name } = granteeOf(grant);
    setDraft((d) => ({ ...d, grants: withGrant(d.grants, kind, name, level) }));
  };
  const remove = (grant: ModelGrant) => setDraft((d) => ({ ...d, grants: d.grants.filter((g) => keyOf(g) !== keyOf(grant)) }));

  return (
    <Space orientation="vertical" size="middle" style={{ width: '100%' }} data-testid="access-panel">
      <Descriptions size="small" column={1} bordered>
        <Descriptions.Item label={t('model.owner')}>{stored.owner?.username ?? t('common.none')}</Descriptions.Item>
        <Descriptions.Item label={t('access.visibility')}>
          <Space orientation="vertical" size={4}>
            <Radio.Group
              optionType="button"
              buttonStyle="solid"
              value={draft.visibility}
              onChange={(e) => setDraft((d) => ({ ...d, visibility: e.target.value as ModelVisibility }))}
              options={[
                { value: 'private', label: t('access.private') },
                { value: 'internal', label: t('access.internal') },
              ]}
              aria-label={t('access.visibility')}
            />
            <Typography.Text type="secondary">{t(`access.${draft.visibility}Hint`)}</Typography.Text>
          </Space>
        </Descriptions.Item>
      </Descriptions>
      <Typography.Title level={5} style={{ margin: 0 }}>
        {t('access.grants')}
      </Typography.Title>
      <Table<ModelGrant>
        size="small"
        rowKey={keyOf}
        pagination={false}
        dataSource={draft.grants}
        data-testid="grants-table"
        locale={{ emptyText: <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={t('access.noGrants')} /> }}
        columns={[
          {
            title: t('access.grantee'),
            key: 'grantee',
            render: (_: unknown, grant: ModelGrant) => {
              const { kind, name } = granteeOf(grant);
              return (
                <Space>
                  {kind === 'team' ? <TeamOutlined /> : <UserOutlined />}
                  <span>{name}</span>
                  <Tag>{t(`access.kind.${kind}`)}</Tag>
                </Space>
              );
            },
          },
          {
            title: t('access.level'),
            key: 'level',
            width: 220,
            render: (_: unknown, grant: ModelGrant) => (
              <Select
                value={grant.level}
                options={levelOptions(t)}
                onChange={(level) => setLevel(grant, level)}
                style={{ width: 180 }}
                aria-label={t('access.levelOf', { name: granteeOf(grant).name })}
              />
            ),
          },
          {
            title: t('common.actions'),
            key: 'actions',
            width: 100,
            render: (_: unknown, grant: ModelGrant) => (
              <Button type="text" danger icon={<DeleteOutlined />} aria-label={t('access.remove', { name: granteeOf(grant).name })} onClick={() => remove(grant)} />
            ),
          },
        ]}
      />
      <AddGrant onAdd={(kind, name, level) => setDraft((d) => ({ ...d, grants: withGrant(d.grants, kind, name, level) }))} />
      <Typography.Text type="secondary">{t('access.levelsHint')}</Typography.Text>
      {failure && <ProblemAlert error={failure.error} unplaced={failure.unplaced} />}
      <Space>
        <Button type="primary" onClick={save} loading={saving} disabled={!dirty}>
          {t('access.save')}
        </Button>
        <Button onClick={() => setDraft({ visibility: stored.visibility, grants: stored.grants })} disabled={!dirty || saving}>
          {t('access.reset')}
        </Button>
      </Space>
    </Space>
  );
}

/** One new grant: a user or a team by name (admins pick from the lists; others type the name), and its level. */
function AddGrant({ onAdd }: { onAdd(kind: GranteeKind, name: string, level: ModelAccessLevel): void }) {
  const { t } = useI18n();
  const api = useApi();
  const { can } = useCurrentUser();
  const [kind, setKind] = useState<GranteeKind>('user');
  const [name, setName] = useState('');
  const [level, setLevel] = useState<ModelAccessLevel>('use');
  // Only admins may list users and teams; everyone else types the name, and the API checks it.
  const listable = can('users.manage');
  const names = useRequest(`grantees:${kind}:${listable}`, async (signal) => {
    if (!listable) return [];
    if (kind === 'user') return (await api.listUsers(signal)).items.map((u) => u.username);
    return (await api.listTeams(signal)).items.map((team) => team.name);
  });
  const trimmed = name.trim();
  const valid = USERNAME_PATTERN.test(trimmed);
  const add = () => {
    if (!valid) return;
    onAdd(kind, trimmed, level);
    setName('');
  };
  return (
    <Space wrap data-testid="add-grant">
      <Select<GranteeKind>
        value={kind}
        onChange={setKind}
        style={{ width: 110 }}
        aria-label={t('access.kind')}
        options={[
          { value: 'user', label: t('access.kind.user') },
          { value: 'team', label: t('access.kind.team') },
        ]}
      />
      <AutoComplete
        value={name}
        onChange={setName}
        style={{ width: 220 }}
        placeholder={kind === 'user' ? t('access.userName') : t('access.teamName')}
        aria-label={t('access.granteeName')}
        options={(names.data ?? []).filter((n) => n.toLowerCase().includes(trimmed.toLowerCase())).map((n) => ({ value: n }))}
        status={trimmed && !valid ? 'error' : undefined}
      />
      <Select<ModelAccessLevel> value={level} onChange={setLevel} options={levelOptions(t)} style={{ width: 180 }} aria-label={t('access.newLevel')} />
      <Button icon={<PlusOutlined />} onClick={add} disabled={!valid}>
        {t('access.addGrant')}
      </Button>
    </Space>
  );
}
