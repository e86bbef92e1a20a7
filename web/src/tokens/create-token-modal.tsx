import { Checkbox, DatePicker, Divider, Form, Input, Modal, Select } from 'antd';
import dayjs, { type Dayjs } from 'dayjs';
import { useState } from 'react';
import { useApi } from '../api/api-context';
import { ROLE_SCOPES, type CreatedToken, type CreateTokenBody, type TokenScope, type WhoAmI } from '../api/identity-types';
import type { FieldError } from '../api/types';
import { ProblemAlert } from '../common/error-state';
import { applyProblemToForm } from '../common/form-errors';
import { useRequest } from '../common/use-request';
import { useI18n } from '../i18n/i18n';
import { limitsOf, scopeOptions } from '../identity/identity-options';
import { LimitsFields } from '../identity/limits-fields';

export interface TokenValues {
  name: string;
  expires_at: Dayjs | null;
  scopes: TokenScope[];
  model_ids: string[];
  rpm_limit: number | null;
  tpm_limit: number | null;
  daily_call_limit: number | null;
}

/** What a new token may carry: its user's role, and no more than the token the console signed in with. */
export function allowedScopes(me: Pick<WhoAmI, 'user' | 'scopes'>): TokenScope[] {
  return ROLE_SCOPES[me.user.role].filter((scope) => me.scopes === null || me.scopes.includes(scope));
}

/** Form values → the API body: no expiry means never, no model means every model its user may read, an empty limit none. */
export function tokenBodyOf(values: TokenValues): CreateTokenBody {
  const limits = Object.fromEntries(Object.entries(limitsOf(values)).filter(([, value]) => value !== null));
  return {
    name: values.name.trim(),
    scopes: values.scopes,
    ...(values.expires_at ? { expires_at: values.expires_at.toISOString() } : {}),
    ...(values.model_ids.length ? { model_ids: values.model_ids } : {}),
    ...limits,
  };
}

export function CreateTokenModal({ me, onClose, onCreated }: { me: WhoAmI; onClose(): void; onCreated(token: CreatedToken): void }) {
  const { t } = useI18n();
  const api = useApi();
  const [form] = Form.useForm<TokenValues>();
  const [saving, setSaving] = useState(false);
  const [failure, setFailure] = useState<{ error: unknown; unplaced: FieldError[] } | null>(null);
  // The models the user may read are the ones a token may be limited to (at most 200 offered; the API's page limit).
  const models = useRequest('token-models', (signal) => api.listModels({ page_size: 200, sort: 'name' }, signal));
  const allowed = allowedScopes(me);

  const submit = async (values: TokenValues) => {
    setSaving(true);
    setFailure(null);
    try {
      const created = await api.createToken(tokenBodyOf(values));
      onCreated(created);
    } catch (error) {
      setFailure({ error, unplaced: applyProblemToForm(form, error) });
    } finally {
      setSaving(false);
    }
  };

  const initial: TokenValues = { name: '', expires_at: null, scopes: allowed, model_ids: [], rpm_limit: null, tpm_limit: null, daily_call_limit: null };
  return (
    <Modal
      open
      title={t('tokens.add')}
      onCancel={() => !saving && onClose()}
      width={680}
      okText={t('tokens.create')}
      cancelText={t('common.cancel')}
      onOk={() => form.submit()}
      confirmLoading={saving}
      destroyOnHidden
    >
      <Form form={form} layout="vertical" initialValues={initial} onFinish={submit} disabled={saving} name="create-token">
        <Form.Item name="name" label={t('tokens.name')} extra={t('tokens.nameHint')} rules={[{ required: true, whitespace: true, message: t('validation.required') }, { max: 100 }]}>
          <Input autoComplete="off" />
        </Form.Item>
        <Form.Item name="expires_at" label={t('tokens.expires')} extra={t('tokens.expiresHint')}>
          <DatePicker
            showTime
            style={{ width: '100%' }}
            placeholder={t('tokens.never')}
            disabledDate={(day) => day.isBefore(dayjs().startOf('day'))}
            presets={[
              { label: t('tokens.in', { days: 7 }), value: dayjs().add(7, 'day') },
              { label: t('tokens.in', { days: 30 }), value: dayjs().add(30, 'day') },
              { label: t('tokens.in', { days: 90 }), value: dayjs().add(90, 'day') },
              { label: t('tokens.in', { days: 365 }), value: dayjs().add(365, 'day') },
            ]}
          />
        </Form.Item>
        <Form.Item name="scopes" label={t('tokens.scopes')} extra={t('tokens.scopesHint')} rules={[{ required: true, type: 'array', min: 1, message: t('tokens.scopesRequired') }]}>
          <Checkbox.Group options={scopeOptions(t, allowed)} />
        </Form.Item>
        <Form.Item name="model_ids" label={t('tokens.models')} extra={t('tokens.modelsHint')}>
          <Select
            mode="multiple"
            allowClear
            loading={models.loading}
            placeholder={t('tokens.allModels')}
            optionFilterProp="label"
            options={(models.data?.items ?? []).map((model) => ({ value: model.id, label: `${model.name} ${model.version}` }))}
          />
        </Form.Item>
        <Divider titlePlacement="start">{t('limits.title')}</Divider>
        <LimitsFields />
      </Form>
      {failure && <ProblemAlert error={failure.error} unplaced={failure.unplaced} />}
    </Modal>
  );
}
