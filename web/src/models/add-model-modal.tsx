import { InboxOutlined } from '@ant-design/icons';
import { Alert, App, Button, Descriptions, Form, type FormInstance, Input, Modal, Progress, Segmented, Select, Space, Spin, Table, Tag, Upload } from 'antd';
import { useEffect, useState } from 'react';
import { useApi } from '../api/api-context';
import { ApiError } from '../api/client';
import type { CreateModelBody, FieldError, HubModelPreview, Model, ProviderSource } from '../api/types';
import { ProblemAlert, useErrorText } from '../common/error-state';
import { applyProblemToForm } from '../common/form-errors';
import { formatBytes } from '../common/format';
import { useI18n } from '../i18n/i18n';
import { compact, FieldRow, httpUrlRule, tagsRule } from './form-values';
import { MODEL_FILE_ACCEPT, frameworkOptions, manualSourceOptions, TAG_PATTERN, typeOptions } from './model-options';

export type AddKind = 'manual' | 'huggingface' | ProviderSource;
const KINDS: AddKind[] = ['manual', 'huggingface', 'openai', 'anthropic'];

interface AddModelModalProps {
  open: boolean;
  onClose(): void;
  /** A model was registered (even when its file upload then failed): the list refreshes. */
  onCreated(model: Model): void;
  initialKind?: AddKind;
}

/** 新增模型: one dialog, one form per way of adding a model (the user guide's three methods). */
export function AddModelModal({ open, onClose, onCreated, initialKind = 'manual' }: AddModelModalProps) {
  const { t } = useI18n();
  const [kind, setKind] = useState<AddKind>(initialKind);
  const [busy, setBusy] = useState(false);
  return (
    <Modal
      open={open}
      title={t('add.title')}
      onCancel={() => !busy && onClose()}
      footer={null}
      width={720}
      destroyOnHidden
      mask={{ closable: !busy }}
    >
      <Space orientation="vertical" style={{ width: '100%' }} size="middle">
        <div>
          <div style={{ marginBottom: 4 }}>{t('add.sourceKind')}</div>
          <Segmented<AddKind>
            block
            value={kind}
            onChange={setKind}
            disabled={busy}
            options={KINDS.map((k) => ({ value: k, label: t(`add.kind.${k}`) }))}
            data-testid="add-kind"
          />
        </div>
        {kind === 'manual' && <ManualForm onCreated={onCreated} onClose={onClose} setBusy={setBusy} />}
        {kind === 'huggingface' && <HuggingFaceForm onCreated={onCreated} onClose={onClose} setBusy={setBusy} />}
        {(kind === 'openai' || kind === 'anthropic') && (
          <ProviderForm key={kind} source={kind} onCreated={onCreated} onClose={onClose} setBusy={setBusy} />
        )}
      </Space>
    </Modal>
  );
}

interface KindFormProps {
  onCreated(model: Model): void;
  onClose(): void;
  setBusy(busy: boolean): void;
}

interface Failure {
  error: unknown;
  unplaced: FieldError[];
}

/** Submits a create request, placing field errors from the problem details on the form. */
function useCreate<Values>(form: FormInstance<Values>, setBusy: (busy: boolean) => void) {
  const api = useApi();
  const [failure, setFailure] = useState<Failure | null>(null);
  const [submitting, setSubmitting] = useState(false);
  const create = async (body: CreateModelBody): Promise<Model | null> => {
    setFailure(null);
    setSubmitting(true);
    setBusy(true);
    try {
      return await api.createModel(body);
    } catch (error) {
      setFailure({ error, unplaced: applyProblemToForm(form, error) });
      return null;
    } finally {
      setSubmitting(false);
      setBusy(false);
    }
  };
  return { create, failure, setFailure, submitting };
}

const commonFields = (t: ReturnType<typeof useI18n>['t']) => (
  <>
    <Form.Item name="description" label={t('model.description')} rules={[{ max: 10000 }]}>
      <Input.TextArea rows={2} />
    </Form.Item>
    <Form.Item name="tags" label={t('model.tags')} rules={[tagsRule(TAG_PATTERN, t('validation.tag'))]}>
      <Select mode="tags" tokenSeparators={[',']} open={false} suffixIcon={null} />
    </Form.Item>
  </>
);

interface ManualValues {
  name: string;
  version?: string;
  type: CreateModelBody['type'];
  framework?: CreateModelBody['framework'];
  source: CreateModelBody['source'];
  endpoint?: string;
  description?: string;
  tags?: string[];
}

function ManualForm({ onCreated, onClose, setBusy }: KindFormProps) {
  const { t } = useI18n();
  const api = useApi();
  const { message } = App.useApp();
  const errorText = useErrorText();
  const [form] = Form.useForm<ManualValues>();
  const { create, failure, setFailure, submitting } = useCreate(form, setBusy);
  const [file, setFile] = useState<File | null>(null);
  const [upload, setUpload] = useState<{ percent: number; name: string } | null>(null);

  const submit = async (values: ManualValues) => {
    const created = await create(compact({ ...values }) as CreateModelBody);
    if (!created) return;
    onCreated(created);
    if (!file) {
      message.success(t('add.created', { name: created.name }));
      onClose();
      return;
    }
    setBusy(true);
    setUpload({ percent: 0, name: file.name });
    try {
      const stored = await api.uploadFile(created.id, file, (percent) => setUpload({ percent, name: file.name }));
      onCreated(stored);
      message.success(t('add.created', { name: created.name }));
      onClose();
    } catch (error) {
      // The record exists: say so, instead of inviting a second create that would collide on (name, version).
      setFailure({ error: new ApiError({ status: error instanceof ApiError ? error.status : 0, title: t('error.generic'), detail: t('add.uploadFailed', { detail: errorText(error).detail }) }), unplaced: [] });
      setUpload(null);
    } finally {
      setBusy(false);
    }
  };

  return (
    <Form form={form} layout="vertical" onFinish={submit} initialValues={{ source: 'custom' }} disabled={submitting || upload !== null} name="add-manual">
      <Form.Item name="name" label={t('model.name')} rules={[{ required: true, whitespace: true, message: t('validation.required') }, { max: 200 }]}>
        <Input placeholder="GPT-4" />
      </Form.Item>
      <FieldRow>
        <Form.Item name="version" label={t('model.version')} style={{ flex: 1 }} rules={[{ max: 64 }]}>
          <Input placeholder="1.0" />
        </Form.Item>
        <Form.Item name="type" label={t('model.type')} style={{ flex: 2 }} rules={[{ required: true, message: t('validation.required') }]}>
          <Select options={typeOptions(t)} />
        </Form.Item>
      </FieldRow>
      <FieldRow>
        <Form.Item name="framework" label={t('model.framework')} style={{ flex: 1 }}>
          <Select options={frameworkOptions(t)} allowClear />
        </Form.Item>
        <Form.Item name="source" label={t('model.source')} style={{ flex: 1 }}>
          <Select options={manualSourceOptions(t)} />
        </Form.Item>
      </FieldRow>
      <Form.Item name="endpoint" label={t('model.endpoint')} rules={[httpUrlRule(t('validation.url'))]}>
        <Input placeholder="https://api.example.com/v1/predict" />
      </Form.Item>
      {commonFields(t)}
      <Form.Item label={t('add.file')}>
        <Upload.Dragger
          accept={MODEL_FILE_ACCEPT}
          maxCount={1}
          multiple={false}
          fileList={file ? [{ uid: 'file', name: file.name, size: file.size, status: 'done' }] : []}
          beforeUpload={(chosen) => {
            setFile(chosen);
            // Kept until the model exists: the file goes to POST /ai-models/{id}/files afterwards.
            return false;
          }}
          onRemove={() => setFile(null)}
        >
          <p className="ant-upload-drag-icon">
            <InboxOutlined />
          </p>
          <p className="ant-upload-text">{t('add.fileHint')}</p>
          <p className="ant-upload-hint">{t('add.fileFormats')}</p>
        </Upload.Dragger>
      </Form.Item>
      {upload && (
        <div data-testid="upload-progress">
          {t('add.uploading', { file: upload.name })}
          <Progress percent={upload.percent} status="active" />
        </div>
      )}
      {failure && <ProblemAlert error={failure.error} unplaced={failure.unplaced} />}
      <FormButtons submitting={submitting || upload !== null} onCancel={onClose} label={t('add.submit')} />
    </Form>
  );
}

function FormButtons({ submitting, onCancel, label }: { submitting: boolean; onCancel(): void; label: string }) {
  const { t } = useI18n();
  return (
    <Space style={{ marginTop: 16, width: '100%', justifyContent: 'flex-end' }}>
      <Button onClick={onCancel} disabled={submitting}>
        {t('common.cancel')}
      </Button>
      <Button type="primary" htmlType="submit" loading={submitting} disabled={false}>
        {label}
      </Button>
    </Space>
  );
}

const REPO_PATTERN = /^[A-Za-z0-9][\w.-]*(\/[A-Za-z0-9][\w.-]*)?$/;

interface HuggingFaceValues {
  name: string;
  type?: CreateModelBody['type'];
  version?: string;
  revision?: string;
  include?: string[];
  description?: string;
  tags?: string[];
}

type PreviewState = { state: 'idle' } | { state: 'loading' } | { state: 'ok'; data: HubModelPreview } | { state: 'failed'; error: unknown };

function HuggingFaceForm({ onCreated, onClose, setBusy }: KindFormProps) {
  const { t } = useI18n();
  const api = useApi();
  const { message } = App.useApp();
  const [form] = Form.useForm<HuggingFaceValues>();
  const { create, failure, submitting } = useCreate(form, setBusy);
  const repo = (Form.useWatch('name', form) ?? '').trim();
  const revision = (Form.useWatch('revision', form) ?? '').trim();
  // The answer is kept with the repo id it answers: a preview of what was typed before is never shown.
  const [answer, setAnswer] = useState<{ repo: string; preview: PreviewState } | null>(null);
  const valid = REPO_PATTERN.test(repo);
  const preview: PreviewState = !valid ? { state: 'idle' } : answer?.repo === repo ? answer.preview : { state: 'loading' };

  useEffect(() => {
    if (!valid) return;
    const controller = new AbortController();
    // Asked once the typing pauses: one request per repo id, not per keystroke.
    const timer = setTimeout(() => {
      api.previewHubModel(repo, controller.signal).then(
        (data) => !controller.signal.aborted && setAnswer({ repo, preview: { state: 'ok', data } }),
        (error: unknown) => !controller.signal.aborted && setAnswer({ repo, preview: { state: 'failed', error } }),
      );
    }, 400);
    return () => {
      clearTimeout(timer);
      controller.abort();
    };
  }, [api, repo, revision, valid]);

  const submit = async (values: HuggingFaceValues) => {
    const created = await create({ ...(compact({ ...values }) as CreateModelBody), source: 'huggingface' });
    if (!created) return;
    onCreated(created);
    message.success(t('add.created', { name: created.name }));
    onClose();
  };

  return (
    <Form form={form} layout="vertical" onFinish={submit} disabled={submitting} name="add-huggingface">
      <Form.Item
        name="name"
        label={t('add.repo')}
        extra={t('add.repoHint')}
        rules={[{ required: true, whitespace: true, message: t('validation.required') }, { pattern: REPO_PATTERN, message: t('add.repoHint') }]}
      >
        <Input placeholder="gpt2" autoComplete="off" />
      </Form.Item>
      <HubPreview preview={preview} />
      <FieldRow>
        <Form.Item name="type" label={t('model.type')} style={{ flex: 2 }}>
          <Select options={typeOptions(t)} allowClear placeholder={preview.state === 'ok' ? (preview.data.pipeline_tag ?? undefined) : undefined} />
        </Form.Item>
        <Form.Item name="version" label={t('model.version')} style={{ flex: 1 }}>
          <Input placeholder="1.0" />
        </Form.Item>
      </FieldRow>
      <FieldRow>
        <Form.Item name="revision" label={t('add.revision')} style={{ flex: 1 }}>
          <Input placeholder="main" />
        </Form.Item>
        <Form.Item name="include" label={t('add.include')} style={{ flex: 2 }}>
          <Select mode="tags" open={false} suffixIcon={null} placeholder="*.onnx, config.json" tokenSeparators={[',', ' ']} />
        </Form.Item>
      </FieldRow>
      {commonFields(t)}
      {failure && <ProblemAlert error={failure.error} unplaced={failure.unplaced} />}
      <FormButtons submitting={submitting} onCancel={onClose} label={t('add.import')} />
    </Form>
  );
}

function HubPreview({ preview }: { preview: PreviewState }) {
  const { t } = useI18n();
  const errorText = useErrorText();
  if (preview.state === 'idle') return null;
  if (preview.state === 'loading') {
    return (
      <div data-testid="hub-preview" style={{ marginBottom: 16 }}>
        <Spin size="small" /> {t('add.previewLoading')}
      </div>
    );
  }
  if (preview.state === 'failed') {
    return <Alert data-testid="hub-preview" type="warning" showIcon style={{ marginBottom: 16 }} title={t('add.previewFailed', { detail: errorText(preview.error).detail })} />;
  }
  const { data } = preview;
  const sizes = data.files.map((f) => f.size).filter((s): s is number => typeof s === 'number');
  return (
    <div data-testid="hub-preview" style={{ marginBottom: 16 }}>
      <Descriptions size="small" bordered column={2} title={t('add.preview')}>
        <Descriptions.Item label="Repo">{data.id}</Descriptions.Item>
        <Descriptions.Item label={t('add.previewTask')}>{data.pipeline_tag ?? t('common.none')}</Descriptions.Item>
        <Descriptions.Item label={t('add.previewLibrary')}>{data.library_name ?? t('common.none')}</Descriptions.Item>
        <Descriptions.Item label={t('add.previewLicense')}>{data.license ?? t('common.none')}</Descriptions.Item>
        <Descriptions.Item label={t('add.previewSize')} span={2}>
          {formatBytes(sizes.reduce((a, b) => a + b, 0))} · {data.files.length} {t('add.previewFiles')}
        </Descriptions.Item>
        {data.tags.length > 0 && (
          <Descriptions.Item label={t('model.tags')} span={2}>
            {data.tags.slice(0, 12).map((tag) => (
              <Tag key={tag}>{tag}</Tag>
            ))}
          </Descriptions.Item>
        )}
      </Descriptions>
      {data.gated ? <Alert type="warning" showIcon style={{ marginTop: 8 }} title={t('add.previewGated')} /> : null}
      <Table
        size="small"
        style={{ marginTop: 8 }}
        rowKey="path"
        pagination={data.files.length > 8 ? { pageSize: 8, size: 'small' } : false}
        dataSource={data.files}
        columns={[
          { title: t('detail.path'), dataIndex: 'path' },
          { title: t('detail.size'), dataIndex: 'size', width: 120, render: (size: number | null) => formatBytes(size) ?? t('common.none') },
        ]}
      />
    </div>
  );
}

interface ProviderValues {
  name: string;
  type: CreateModelBody['type'];
  api_key: string;
  provider_model?: string;
  endpoint?: string;
  version?: string;
  description?: string;
  tags?: string[];
}

function ProviderForm({ source, onCreated, onClose, setBusy }: KindFormProps & { source: ProviderSource }) {
  const { t } = useI18n();
  const { message } = App.useApp();
  const errorText = useErrorText();
  const [form] = Form.useForm<ProviderValues>();
  const { create, failure, submitting } = useCreate(form, setBusy);

  const submit = async (values: ProviderValues) => {
    // The key is sent as typed (no trimming inside it), everything else compacted.
    const { api_key, ...rest } = values;
    const created = await create({ ...(compact({ ...rest }) as CreateModelBody), source, api_key: api_key.trim() });
    if (!created) return;
    onCreated(created);
    message.success(t('add.created', { name: created.name }));
    onClose();
  };

  // 422 on api_key (the provider refused the key) and 424 (the provider could not be reached) carry the provider's answer.
  const providerAnswer =
    failure?.error instanceof ApiError && (failure.error.status === 424 || failure.error.errors.some((e) => e.field === 'api_key'))
      ? errorText(failure.error).detail
      : null;

  return (
    <Form form={form} layout="vertical" onFinish={submit} initialValues={{ type: 'llm' }} disabled={submitting} name={`add-${source}`}>
      <Form.Item name="name" label={t('model.name')} rules={[{ required: true, whitespace: true, message: t('validation.required') }, { max: 200 }]}>
        <Input placeholder={source === 'openai' ? 'GPT-4' : 'Claude'} />
      </Form.Item>
      <FieldRow>
        <Form.Item name="type" label={t('model.type')} style={{ flex: 2 }} rules={[{ required: true, message: t('validation.required') }]}>
          <Select options={typeOptions(t)} />
        </Form.Item>
        <Form.Item name="version" label={t('model.version')} style={{ flex: 1 }}>
          <Input placeholder="1.0" />
        </Form.Item>
      </FieldRow>
      <Form.Item name="api_key" label={t('model.apiKey')} extra={t('add.apiKeyHint')} rules={[{ required: true, whitespace: true, message: t('validation.required') }]}>
        <Input.Password autoComplete="new-password" placeholder={source === 'openai' ? 'sk-…' : 'sk-ant-…'} />
      </Form.Item>
      <Form.Item name="provider_model" label={t('model.providerModel')} extra={t('add.providerModelHint')} rules={[{ max: 200 }]}>
        <Input placeholder={source === 'openai' ? 'gpt-4o' : 'claude-sonnet-4-5'} />
      </Form.Item>
      <Form.Item name="endpoint" label={t('model.endpoint')} extra={t('add.endpointHint')} rules={[httpUrlRule(t('validation.url'))]}>
        <Input placeholder={source === 'openai' ? 'https://api.openai.com/v1' : 'https://api.anthropic.com'} />
      </Form.Item>
      {commonFields(t)}
      {providerAnswer !== null && <Alert type="error" showIcon role="alert" style={{ marginBottom: 8 }} title={t('add.providerFailed', { detail: providerAnswer })} />}
      {failure && providerAnswer === null && <ProblemAlert error={failure.error} unplaced={failure.unplaced} />}
      <FormButtons submitting={submitting} onCancel={onClose} label={t('add.submit')} />
    </Form>
  );
}
