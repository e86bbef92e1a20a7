import { DeleteOutlined, EditOutlined, PlusOutlined, ReloadOutlined } from '@ant-design/icons';
import { App, Button, Card, Empty, Popconfirm, Space, Table, Tag, Tooltip, Typography } from 'antd';
import { useState } from 'react';
import { useApi } from '../api/api-context';
import type { Team } from '../api/identity-types';
import { ErrorState, useErrorText } from '../common/error-state';
import { formatTime } from '../common/format';
import { useRequest } from '../common/use-request';
import { useI18n } from '../i18n/i18n';
import { TeamFormModal } from './team-form-modal';

/** Teams (admins only): create, rename, change members, delete with confirmation. */
export function TeamsPage() {
  const { t } = useI18n();
  const api = useApi();
  const { message } = App.useApp();
  const errorText = useErrorText();
  const teams = useRequest('teams', (signal) => api.listTeams(signal));
  // undefined: no dialog; null: a new team; a team: editing that one.
  const [editing, setEditing] = useState<Team | null | undefined>(undefined);

  const remove = async (team: Team) => {
    try {
      await api.deleteTeam(team.id);
      message.success(t('teams.deleted', { name: team.name }));
      teams.reload();
    } catch (failure) {
      const text = errorText(failure);
      message.error(`${text.title}: ${text.detail}`);
    }
  };

  const none = t('common.none');
  const columns = [
    { title: t('teams.name'), key: 'name', render: (_: unknown, team: Team) => <Typography.Text strong>{team.name}</Typography.Text> },
    { title: t('teams.description'), key: 'description', render: (_: unknown, team: Team) => team.description ?? none },
    {
      title: t('teams.members'),
      key: 'members',
      render: (_: unknown, team: Team) => (team.members.length ? team.members.map((m) => <Tag key={m.id}>{m.username}</Tag>) : none),
    },
    { title: t('model.updated'), key: 'updated_at', render: (_: unknown, team: Team) => formatTime(team.updated_at) },
    {
      title: t('common.actions'),
      key: 'actions',
      render: (_: unknown, team: Team) => (
        <Space size={0}>
          <Tooltip title={t('list.edit')}>
            <Button type="text" icon={<EditOutlined />} aria-label={`${t('list.edit')} ${team.name}`} onClick={() => setEditing(team)} />
          </Tooltip>
          <Popconfirm
            title={t('teams.deleteConfirm', { name: team.name })}
            okText={t('common.delete')}
            cancelText={t('common.cancel')}
            okButtonProps={{ danger: true }}
            onConfirm={() => remove(team)}
          >
            <Button type="text" danger icon={<DeleteOutlined />} aria-label={`${t('common.delete')} ${team.name}`} />
          </Popconfirm>
        </Space>
      ),
    },
  ];

  return (
    <Card
      title={<Typography.Title level={4} style={{ margin: 0 }}>{t('teams.title')}</Typography.Title>}
      extra={
        <Space>
          <Button icon={<ReloadOutlined />} onClick={teams.reload} aria-label={t('common.refresh')} />
          <Button type="primary" icon={<PlusOutlined />} onClick={() => setEditing(null)}>
            {t('teams.add')}
          </Button>
        </Space>
      }
    >
      {teams.error ? (
        <ErrorState error={teams.error} onRetry={teams.reload} />
      ) : (
        <Table<Team>
          rowKey="id"
          loading={teams.loading}
          dataSource={teams.data?.items ?? []}
          columns={columns}
          locale={{ emptyText: teams.loading ? ' ' : <Empty description={t('teams.empty')} /> }}
          pagination={{ pageSize: 50, hideOnSinglePage: true }}
          data-testid="teams-table"
        />
      )}
      {editing !== undefined && <TeamFormModal team={editing} onClose={() => setEditing(undefined)} onSaved={teams.reloadQuietly} />}
    </Card>
  );
}
