import { App, Divider, Form, Input, Modal, Select, Switch } from 'antd';
import { useState } from 'react';
import { useApi } from '../api/api-context';
import type { Role, User, UserBody } from '../api/identity-types';
import type { FieldError } from '../api/types';
import { ProblemAlert } from '../common/error-state';
import { applyProblemToForm } from '../common/form-errors';
import { useRequest } from '../common/use-request';
import { useI18n } from '../i18n/i18n';
import { FieldRow } from '../models/form-values';
import { limitsOf, roleOptions } from './identity-options';
import { LimitsFields } from './limits-fields';

/** The API's rules (user.dto.ts), checked here first so a typo is caught before the round trip. */
export const USERNAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
export const PASSWORD_MIN = 10;
export const PASSWORD_MAX = 256;

export interface UserValues {
  username: string;
  password: string;
  display_name: string;
  role: Role;
  disabled: boolean;
  teams: string[];
  rpm_limit: number | null;
  tpm_limit: number | null;
  daily_call_limit: number | null;
}

export function userValuesOf(user: User | null): UserValues {
  return {
    username: user?.username ?? '',
    password: '',
    display_name: user?.display_name ?? '',
    role: user?.role ?? 'user',
    disabled: user?.disabled ?? false,
    teams: user?.teams.map((team) => team.name) ?? [],
    rpm_limit: user?.rpm_limit ?? null,
    tpm_limit: user?.tpm_limit ?? null,
    daily_call_limit: user?.daily_call_limit ?? null,
  };
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/**
 * The body to send: everything for a new user; for an edit only what changed (a new password only
 * when one is typed: sending one ends the user's sessions).
 */
export function userBodyOf(user: User | null, values: UserValues): UserBody {
  const full: UserBody = {
    role: values.role,
    display_name: values.display_name.trim() || null,
    disabled: values.disabled,
    teams: values.teams,
    ...limitsOf(values),
  };
  if (!user) return { username: values.username.trim(), password: values.password, ...full };
  const before = userBodyOf(null, userValuesOf(user));
  const changed: UserBody = {};
  for (const key of Object.keys(full) as Array<keyof UserBody>) {
    if (!same(full[key], before[key])) Object.assign(changed, { [key]: full[key] });
  }
  if (values.password) changed.password = values.password;
  return changed;
}

/** Create (user null) or edit a user: role, display name, disabled, teams, limits, and a password. */
export function UserFormModal({ user, onClose, onSaved }: { user: User | null; onClose(): void; onSaved(user: User): void }) {
  const { t } = useI18n();
  const api = useApi();
  const { message } = App.useApp();
  const [form] = Form.useForm<UserValues>();
  const [saving, setSaving] = useState(false);
  const [failure, setFailure] = useState<{ error: unknown; unplaced: FieldError[] } | null>(null);
  const teams = useRequest('teams', (signal) => api.listTeams(signal));
  const editing = user !== null;

  const submit = async (values: UserValues) => {
    const body = userBodyOf(user, values);
    if (editing && Object.keys(body).length === 0) {
      message.info(t('edit.nothing'));
      onClose();
      return;
    }
    setSaving(true);
    setFailure(null);
    try {
      const saved = editing ? await api.updateUser(user.id, body) : await api.createUser(body);
      message.success(editing ? t('users.saved', { name: saved.username }) : t('users.created', { name: saved.username }));
      onSaved(saved);
      onClose();
    } catch (error) {
      setFailure({ error, unplaced: applyProblemToForm(form, error) });
    } finally {
      setSaving(false);
    }
  };

  const passwordRules = [
    ...(editing ? [] : [{ required: true, message: t('validation.required') }]),
    { min: PASSWORD_MIN, max: PASSWORD_MAX, message: t('users.passwordLength', { min: PASSWORD_MIN, max: PASSWORD_MAX }) },
  ];
  return (
    <Modal
      open
      title={editing ? t('users.editTitle', { name: user.username }) : t('users.add')}
      onCancel={() => !saving && onClose()}
      width={680}
      okText={editing ? t('common.save') : t('users.add')}
      cancelText={t('common.cancel')}
      onOk={() => form.submit()}
      confirmLoading={saving}
      destroyOnHidden
    >
      <Form form={form} layout="vertical" initialValues={userValuesOf(user)} onFinish={submit} disabled={saving} name="user">
        <FieldRow>
          <Form.Item
            name="username"
            label={t('users.username')}
            style={{ flex: 1, minWidth: 200 }}
            rules={[{ required: true, message: t('validation.required') }, { pattern: USERNAME_PATTERN, message: t('users.usernameRule') }]}
          >
            <Input disabled={editing} autoComplete="off" />
          </Form.Item>
          <Form.Item name="display_name" label={t('users.displayName')} style={{ flex: 1, minWidth: 200 }} rules={[{ max: 200 }]}>
            <Input />
          </Form.Item>
        </FieldRow>
        <Form.Item
          name="password"
          label={editing ? t('users.newPassword') : t('auth.password')}
          extra={editing ? t('users.newPasswordHint') : t('users.passwordHint', { min: PASSWORD_MIN })}
          rules={passwordRules}
        >
          <Input.Password autoComplete="new-password" />
        </Form.Item>
        <FieldRow>
          <Form.Item name="role" label={t('users.role')} style={{ flex: 1, minWidth: 160 }} rules={[{ required: true, message: t('validation.required') }]}>
            <Select options={roleOptions(t)} />
          </Form.Item>
          <Form.Item name="teams" label={t('users.teams')} style={{ flex: 2, minWidth: 200 }}>
            <Select mode="multiple" loading={teams.loading} options={(teams.data?.items ?? []).map((team) => ({ value: team.name, label: team.name }))} />
          </Form.Item>
          <Form.Item name="disabled" label={t('users.disabled')} valuePropName="checked" tooltip={t('users.disabledHint')}>
            <Switch />
          </Form.Item>
        </FieldRow>
        <Divider titlePlacement="start">{t('limits.title')}</Divider>
        <LimitsFields />
      </Form>
      {failure && <ProblemAlert error={failure.error} unplaced={failure.unplaced} />}
    </Modal>
  );
}
