import { DeleteOutlined, PlusOutlined } from '@ant-design/icons';
import { App, Button, Divider, Form, Input, InputNumber, Modal, Select, Space, Typography } from 'antd';
import { useState } from 'react';
import { useApi } from '../api/api-context';
import { isProviderSource, type FieldError, type Model, type UpdateModelBody } from '../api/types';
import { ProblemAlert } from '../common/error-state';
import { applyProblemToForm } from '../common/form-errors';
import { useI18n } from '../i18n/i18n';
import { FieldRow, httpUrlRule, tagsRule } from './form-values';
import { frameworkOptions, TAG_PATTERN, typeOptions } from './model-options';

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;

export interface EditValues {
  name: string;
  version: string;
  type: Model['type'];
  framework: Model['framework'];
  description: string;
  endpoint: string;
  tags: string[];
  accuracy: number | null;
  latency_ms: number | null;
  input_format: string;
  output_format: string;
  parameters: string;
  env: Array<{ name: string; value: string }>;
  provider_model: string;
  api_key: string;
}

export function editValuesOf(model: Model): EditValues {
  return {
    name: model.name,
    version: model.version,
    type: model.type,
    framework: model.framework,
    description: model.description ?? '',
    endpoint: model.endpoint ?? '',
    tags: model.tags,
    accuracy: model.accuracy,
    latency_ms: model.latency_ms,
    input_format: model.config.input_format ?? '',
    output_format: model.config.output_format ?? '',
    parameters: JSON.stringify(model.config.parameters ?? {}, null, 2),
    env: Object.entries(model.config.env ?? {}).map(([name, value]) => ({ name, value })),
    provider_model: model.provider_model ?? '',
    api_key: '',
  };
}

const orNull = (value: string) => (value.trim() === '' ? null : value.trim());
const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/**
 * The PATCH body: only what changed (a partial edit, as the API wants it). Config members are sent
 * whole when changed (the API replaces each member sent). A blank key keeps the stored one.
 */
export function changesOf(model: Model, values: EditValues): UpdateModelBody {
  const before = editValuesOf(model);
  const body: UpdateModelBody = {};
  if (values.name.trim() !== before.name) body.name = values.name.trim();
  if (values.version.trim() !== before.version) body.version = values.version.trim();
  if (values.type !== before.type) body.type = values.type;
  if (values.framework !== before.framework) body.framework = values.framework;
  if (values.description.trim() !== before.description) body.description = orNull(values.description);
  if (values.endpoint.trim() !== before.endpoint) body.endpoint = orNull(values.endpoint);
  if (!same(values.tags, before.tags)) body.tags = values.tags;
  if (values.accuracy !== before.accuracy) body.accuracy = values.accuracy ?? null;
  if (values.latency_ms !== before.latency_ms) body.latency_ms = values.latency_ms ?? null;
  const config: NonNullable<UpdateModelBody['config']> = {};
  if (values.input_format.trim() !== before.input_format) config.input_format = orNull(values.input_format);
  if (values.output_format.trim() !== before.output_format) config.output_format = orNull(values.output_format);
  const parameters = JSON.parse(values.parameters.trim() || '{}') as Record<string, unknown>;
  if (!same(parameters, model.config.parameters ?? {})) config.parameters = parameters;
  const env = Object.fromEntries(values.env.filter((row) => row?.name?.trim()).map((row) => [row.name.trim(), row.value ?? '']));
  if (!same(env, model.config.env ?? {})) config.env = env;
  if (Object.keys(config).length) body.config = config;
  if (isProviderSource(model.source)) {
    if (values.provider_model.trim() !== before.provider_model) body.provider_model = orNull(values.provider_model);
    if (values.api_key.trim()) body.api_key = values.api_key.trim();
  }
  return body;
}

const jsonObjectRule = (message: string) => ({
  validator: async (_rule: unknown, value: unknown) => {
    const text = String(value ?? '').trim();
    if (text === '') return;
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw new Error(message);
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error(message);
  },
});

/** API field paths that name a form field of another shape. */
const FIELD_ALIASES = {
  'config.input_format': ['input_format'],
  'config.output_format': ['output_format'],
  'config.parameters': ['parameters'],
  'config.env': ['env'],
  config: ['parameters'],
};

/** The row's edit icon: every editable field and the per-model configuration. */
export function EditModelModal({ model, onClose, onSaved }: { model: Model; onClose(): void; onSaved(model: Model): void }) {
  const { t } = useI18n();
  const api = useApi();
  const { message } = App.useApp();
  const [form] = Form.useForm<EditValues>();
  const [saving, setSaving] = useState(false);
  const [failure, setFailure] = useState<{ error: unknown; unplaced: FieldError[] } | null>(null);
  const provider = isProviderSource(model.source);

  const submit = async (values: EditValues) => {
    const body = changesOf(model, values);
    if (Object.keys(body).length === 0) {
      message.info(t('edit.nothing'));
      onClose();
      return;
    }
    setSaving(true);
    setFailure(null);
    try {
      const saved = await api.updateModel(model.id, body);
      message.success(t('edit.saved'));
      onSaved(saved);
      onClose();
    } catch (error) {
      setFailure({ error, unplaced: applyProblemToForm(form, error, FIELD_ALIASES) });
    } finally {
      setSaving(false);
    }
  };

  return (
    <Modal
      open
      title={t('edit.title', { name: model.name })}
      onCancel={() => !saving && onClose()}
      width={760}
      okText={t('common.save')}
      cancelText={t('common.cancel')}
      onOk={() => form.submit()}
      confirmLoading={saving}
      destroyOnHidden
    >
      <Form form={form} layout="vertical" initialValues={editValuesOf(model)} onFinish={submit} disabled={saving} name="edit-model">
        <FieldRow>
          <Form.Item name="name" label={t('model.name')} style={{ flex: 2, minWidth: 200 }} rules={[{ required: true, whitespace: true, message: t('validation.required') }, { max: 200 }]}>
            <Input />
          </Form.Item>
          <Form.Item name="version" label={t('model.version')} style={{ flex: 1, minWidth: 100 }} rules={[{ required: true, whitespace: true, message: t('validation.required') }, { max: 64 }]}>
            <Input />
          </Form.Item>
        </FieldRow>
        <FieldRow>
          <Form.Item name="type" label={t('model.type')} style={{ flex: 1, minWidth: 200 }} rules={[{ required: true, message: t('validation.required') }]}>
            <Select options={typeOptions(t)} />
          </Form.Item>
          <Form.Item name="framework" label={t('model.framework')} style={{ flex: 1, minWidth: 200 }} rules={[{ required: true, message: t('validation.required') }]}>
            <Select options={frameworkOptions(t)} />
          </Form.Item>
        </FieldRow>
        <Form.Item name="endpoint" label={t('model.endpoint')} rules={[httpUrlRule(t('validation.url'))]}>
          <Input />
        </Form.Item>
        <Form.Item name="description" label={t('model.description')}>
          <Input.TextArea rows={2} />
        </Form.Item>
        <Form.Item name="tags" label={t('model.tags')} rules={[tagsRule(TAG_PATTERN, t('validation.tag'))]}>
          <Select mode="tags" open={false} suffixIcon={null} tokenSeparators={[',']} />
        </Form.Item>
        <FieldRow>
          <Form.Item name="accuracy" label={t('model.accuracy')} style={{ flex: 1 }} rules={[{ type: 'number', min: 0, max: 1, message: t('validation.number01') }]}>
            <InputNumber min={0} max={1} step={0.01} style={{ width: '100%' }} />
          </Form.Item>
          <Form.Item name="latency_ms" label={t('model.latencyMs')} style={{ flex: 1 }} rules={[{ type: 'number', min: 0, message: t('validation.positive') }]}>
            <InputNumber min={0} style={{ width: '100%' }} />
          </Form.Item>
        </FieldRow>
        {provider && (
          <FieldRow>
            <Form.Item name="provider_model" label={t('model.providerModel')} style={{ flex: 1, minWidth: 200 }}>
              <Input />
            </Form.Item>
            <Form.Item
              name="api_key"
              label={t('model.apiKey')}
              style={{ flex: 1, minWidth: 200 }}
              extra={`${model.has_api_key ? t('model.apiKeyStored', { last4: model.api_key_last4 ?? '····' }) : t('model.apiKeyNone')} · ${t('model.apiKeyKeep')}`}
            >
              <Input.Password autoComplete="new-password" />
            </Form.Item>
          </FieldRow>
        )}
        <Divider titlePlacement="start">{t('model.config')}</Divider>
        <FieldRow>
          <Form.Item name="input_format" label={t('model.inputFormat')} style={{ flex: 1 }} rules={[{ max: 200 }]}>
            <Input placeholder="text" />
          </Form.Item>
          <Form.Item name="output_format" label={t('model.outputFormat')} style={{ flex: 1 }} rules={[{ max: 200 }]}>
            <Input placeholder="text" />
          </Form.Item>
        </FieldRow>
        <Form.Item name="parameters" label={t('model.parameters')} rules={[jsonObjectRule(t('validation.json'))]}>
          <Input.TextArea rows={4} style={{ fontFamily: 'monospace' }} />
        </Form.Item>
        <Typography.Text strong>{t('model.env')}</Typography.Text>
        <Form.List name="env">
          {(fields, { add, remove }, { errors }) => (
            <div style={{ marginTop: 8 }}>
              {fields.map((field) => (
                <Space key={field.key} align="baseline" style={{ display: 'flex' }}>
                  <Form.Item
                    name={[field.name, 'name']}
                    rules={[{ required: true, message: t('validation.required') }, { pattern: ENV_NAME, message: t('validation.envName') }]}
                  >
                    <Input placeholder={t('model.envName')} aria-label={t('model.envName')} />
                  </Form.Item>
                  <Form.Item name={[field.name, 'value']}>
                    <Input placeholder={t('model.envValue')} aria-label={t('model.envValue')} style={{ width: 280 }} />
                  </Form.Item>
                  <Button icon={<DeleteOutlined />} aria-label={t('common.delete')} onClick={() => remove(field.name)} />
                </Space>
              ))}
              <Form.ErrorList errors={errors} />
              <Button type="dashed" icon={<PlusOutlined />} onClick={() => add({ name: '', value: '' })}>
                {t('model.envAdd')}
              </Button>
            </div>
          )}
        </Form.List>
      </Form>
      {failure && (
        <div style={{ marginTop: 12 }}>
          <ProblemAlert error={failure.error} unplaced={failure.unplaced} />
        </div>
      )}
    </Modal>
  );
}
