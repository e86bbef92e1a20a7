import { App, Form, Input, Modal, Select } from 'antd';
import { useState } from 'react';
import { useApi } from '../api/api-context';
import type { Team, TeamBody } from '../api/identity-types';
import type { FieldError } from '../api/types';
import { ProblemAlert } from '../common/error-state';
import { applyProblemToForm } from '../common/form-errors';
import { useRequest } from '../common/use-request';
import { useI18n } from '../i18n/i18n';
import { USERNAME_PATTERN } from './user-form-modal';

export interface TeamValues {
  name: string;
  description: string;
  members: string[];
}

export const teamValuesOf = (team: Team | null): TeamValues => ({
  name: team?.name ?? '',
  description: team?.description ?? '',
  members: team?.members.map((member) => member.username) ?? [],
});

/** Everything for a new team; for an edit, only what changed (members replace the memberships). */
export function teamBodyOf(team: Team | null, values: TeamValues): TeamBody {
  const full: Required<TeamBody> = { name: values.name.trim(), description: values.description.trim() || null, members: values.members };
  if (!team) return full;
  const before = teamValuesOf(team);
  const body: TeamBody = {};
  if (full.name !== before.name) body.name = full.name;
  if (full.description !== (before.description || null)) body.description = full.description;
  if (JSON.stringify([...full.members].sort()) !== JSON.stringify([...before.members].sort())) body.members = full.members;
  return body;
}

/** Create (team null) or edit a team: its name, description and members. */
export function TeamFormModal({ team, onClose, onSaved }: { team: Team | null; onClose(): void; onSaved(team: Team): void }) {
  const { t } = useI18n();
  const api = useApi();
  const { message } = App.useApp();
  const [form] = Form.useForm<TeamValues>();
  const [saving, setSaving] = useState(false);
  const [failure, setFailure] = useState<{ error: unknown; unplaced: FieldError[] } | null>(null);
  const users = useRequest('users', (signal) => api.listUsers(signal));
  const editing = team !== null;

  const submit = async (values: TeamValues) => {
    const body = teamBodyOf(team, values);
    if (editing && Object.keys(body).length === 0) {
      message.info(t('edit.nothing'));
      onClose();
      return;
    }
    setSaving(true);
    setFailure(null);
    try {
      const saved = editing ? await api.updateTeam(team.id, body) : await api.createTeam(body);
      message.success(editing ? t('teams.saved', { name: saved.name }) : t('teams.created', { name: saved.name }));
      onSaved(saved);
      onClose();
    } catch (error) {
      setFailure({ error, unplaced: applyProblemToForm(form, error) });
    } finally {
      setSaving(false);
    }
  };

  return (
    <Modal
      open
      title={editing ? t('teams.editTitle', { name: team.name }) : t('teams.add')}
      onCancel={() => !saving && onClose()}
      width={600}
      okText={editing ? t('common.save') : t('teams.add')}
      cancelText={t('common.cancel')}
      onOk={() => form.submit()}
      confirmLoading={saving}
      destroyOnHidden
    >
      <Form form={form} layout="vertical" initialValues={teamValuesOf(team)} onFinish={submit} disabled={saving} name="team">
        <Form.Item
          name="name"
          label={t('teams.name')}
          rules={[{ required: true, message: t('validation.required') }, { pattern: USERNAME_PATTERN, message: t('teams.nameRule') }]}
        >
          <Input autoComplete="off" />
        </Form.Item>
        <Form.Item name="description" label={t('teams.description')} rules={[{ max: 500 }]}>
          <Input.TextArea rows={2} />
        </Form.Item>
        <Form.Item name="members" label={t('teams.members')}>
          <Select
            mode="multiple"
            loading={users.loading}
            options={(users.data?.items ?? []).map((user) => ({ value: user.username, label: user.display_name ? `${user.username} (${user.display_name})` : user.username }))}
          />
        </Form.Item>
      </Form>
      {failure && <ProblemAlert error={failure.error} unplaced={failure.unplaced} />}
    </Modal>
  );
}
