import { DeleteOutlined, EditOutlined, PlusOutlined, ReloadOutlined } from '@ant-design/icons';
import { App, Button, Card, Popconfirm, Space, Table, Tag, Tooltip, Typography } from 'antd';
import { useState } from 'react';
import { useApi } from '../api/api-context';
import type { User } from '../api/identity-types';
import { useCurrentUser } from '../auth/current-user';
import { ErrorState, useErrorText } from '../common/error-state';
import { formatTime } from '../common/format';
import { useRequest } from '../common/use-request';
import { useI18n } from '../i18n/i18n';
import { limitsText, ROLE_COLORS } from './identity-options';
import { UserFormModal } from './user-form-modal';

/** Users (admins only): list, create with a password, edit, delete with confirmation. */
export function UsersPage() {
  const { t } = useI18n();
  const api = useApi();
  const { me } = useCurrentUser();
  const { message } = App.useApp();
  const errorText = useErrorText();
  const users = useRequest('users', (signal) => api.listUsers(signal));
  // undefined: no dialog; null: a new user; a user: editing that one.
  const [editing, setEditing] = useState<User | null | undefined>(undefined);

  const remove = async (user: User) => {
    try {
      await api.deleteUser(user.id);
      message.success(t('users.deleted', { name: user.username }));
      users.reload();
    } catch (failure) {
      const text = errorText(failure);
      message.error(`${text.title}: ${text.detail}`);
    }
  };

  const none = t('common.none');
  const columns = [
    {
      title: t('users.username'),
      key: 'username',
      render: (_: unknown, u: User) => (
        <Space orientation="vertical" size={0}>
          <Typography.Text strong>{u.username}</Typography.Text>
          {u.display_name && <Typography.Text type="secondary">{u.display_name}</Typography.Text>}
        </Space>
      ),
    },
    { title: t('users.role'), key: 'role', render: (_: unknown, u: User) => <Tag color={ROLE_COLORS[u.role]}>{t(`role.${u.role}`)}</Tag> },
    {
      title: t('users.teams'),
      key: 'teams',
      render: (_: unknown, u: User) => (u.teams.length ? u.teams.map((team) => <Tag key={team.id}>{team.name}</Tag>) : none),
    },
    {
      title: t('users.state'),
      key: 'state',
      render: (_: unknown, u: User) => (
        <Space size={4} wrap>
          {u.disabled ? <Tag color="red">{t('users.disabled')}</Tag> : <Tag color="green">{t('users.enabled')}</Tag>}
          {!u.has_password && <Tag>{t('users.noPassword')}</Tag>}
          {u.builtin && <Tag color="gold">{t('users.builtin')}</Tag>}
        </Space>
      ),
    },
    { title: t('limits.title'), key: 'limits', render: (_: unknown, u: User) => limitsText(u, t) ?? none },
    { title: t('model.created'), key: 'created_at', render: (_: unknown, u: User) => formatTime(u.created_at) },
    {
      title: t('common.actions'),
      key: 'actions',
      render: (_: unknown, u: User) => (
        <Space size={0}>
          <Tooltip title={t('list.edit')}>
            <Button type="text" icon={<EditOutlined />} aria-label={`${t('list.edit')} ${u.username}`} onClick={() => setEditing(u)} />
          </Tooltip>
          {/* The built-in admin cannot be deleted, and nobody deletes themselves from here. */}
          {!u.builtin && u.id !== me.user.id && (
            <Popconfirm
              title={t('users.deleteConfirm', { name: u.username })}
              okText={t('common.delete')}
              cancelText={t('common.cancel')}
              okButtonProps={{ danger: true }}
              onConfirm={() => remove(u)}
            >
              <Button type="text" danger icon={<DeleteOutlined />} aria-label={`${t('common.delete')} ${u.username}`} />
            </Popconfirm>
          )}
        </Space>
      ),
    },
  ];

  return (
    <Card
      title={<Typography.Title level={4} style={{ margin: 0 }}>{t('users.title')}</Typography.Title>}
      extra={
        <Space>
          <Button icon={<ReloadOutlined />} onClick={users.reload} aria-label={t('common.refresh')} />
          <Button type="primary" icon={<PlusOutlined />} onClick={() => setEditing(null)}>
            {t('users.add')}
          </Button>
        </Space>
      }
    >
      {users.error ? (
        <ErrorState error={users.error} onRetry={users.reload} />
      ) : (
        <Table<User>
          rowKey="id"
          loading={users.loading}
          dataSource={users.data?.items ?? []}
          columns={columns}
          pagination={{ pageSize: 50, hideOnSinglePage: true, showTotal: (total) => t('users.total', { total }) }}
          data-testid="users-table"
        />
      )}
      {editing !== undefined && <UserFormModal user={editing} onClose={() => setEditing(undefined)} onSaved={users.reloadQuietly} />}
    </Card>
  );
}
