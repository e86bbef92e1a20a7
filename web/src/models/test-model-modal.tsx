import { Alert, Button, Descriptions, Form, Input, InputNumber, Modal, Space, Statistic, Table, Typography } from 'antd';
import { useMemo, useState } from 'react';
import { useApi } from '../api/api-context';
import type { FieldError, Model, TensorValue, TestResult } from '../api/types';
import { ProblemAlert } from '../common/error-state';
import { applyProblemToForm } from '../common/form-errors';
import { formatMs } from '../common/format';
import { useI18n } from '../i18n/i18n';
import { exampleInputs, formatTensorJson, testInputKind } from './test-input';

interface TestValues {
  prompt?: string;
  max_tokens?: number;
  input?: string;
}

const isTensor = (value: unknown): value is TensorValue =>
  typeof value === 'object' && value !== null && 'shape' in value && 'data' in value && 'element_type' in value;

/** The test icon: an input editor fitted to the model, then the output, latency and token usage. */
export function TestModelModal({ model, onClose, onTested }: { model: Model; onClose(): void; onTested?(result: TestResult): void }) {
  const { t } = useI18n();
  const api = useApi();
  const kind = testInputKind(model);
  const example = useMemo(
    () => (kind === 'tensors' ? formatTensorJson(exampleInputs(model.config.signature!.inputs)) : JSON.stringify({ prompt: 'Hello, how are you?', max_tokens: 100 }, null, 2)),
    [kind, model],
  );
  const [form] = Form.useForm<TestValues>();
  const [running, setRunning] = useState(false);
  const [result, setResult] = useState<TestResult | null>(null);
  const [failure, setFailure] = useState<{ error: unknown; unplaced: FieldError[] } | null>(null);

  const run = async (values: TestValues) => {
    const inputData =
      kind === 'prompt'
        ? { prompt: values.prompt ?? '', ...(values.max_tokens ? { max_tokens: values.max_tokens } : {}) }
        : (JSON.parse(values.input ?? '{}') as Record<string, unknown>);
    setRunning(true);
    setFailure(null);
    setResult(null);
    try {
      const answer = await api.testModel(model.id, inputData);
      setResult(answer);
      onTested?.(answer);
    } catch (error) {
      const aliases: Record<string, string[]> = kind === 'prompt' ? { 'input_data.prompt': ['prompt'], 'input_data.max_tokens': ['max_tokens'] } : { input_data: ['input'] };
      setFailure({ error, unplaced: applyProblemToForm(form, error, aliases) });
    } finally {
      setRunning(false);
    }
  };

  return (
    <Modal open title={t('test.title', { name: model.name })} onCancel={onClose} footer={null} width={760} destroyOnHidden>
      <Form
        form={form}
        layout="vertical"
        onFinish={run}
        name="test-model"
        initialValues={kind === 'prompt' ? { prompt: 'Hello, how are you?', max_tokens: 100 } : { input: example }}
      >
        {kind === 'prompt' ? (
          <>
            <Form.Item name="prompt" label={t('test.prompt')} rules={[{ required: true, whitespace: true, message: t('validation.required') }]}>
              <Input.TextArea rows={4} />
            </Form.Item>
            <Form.Item name="max_tokens" label={t('test.maxTokens')}>
              <InputNumber min={1} max={100000} />
            </Form.Item>
          </>
        ) : (
          <>
            {kind === 'json' && <Alert type="info" showIcon style={{ marginBottom: 12 }} title={t('test.noSignature')} />}
            <Form.Item
              name="input"
              label={kind === 'tensors' ? t('test.tensors') : t('test.raw')}
              extra={kind === 'tensors' ? t('test.tensorsHint') : undefined}
              rules={[
                { required: true, message: t('validation.required') },
                {
                  validator: async (_rule, value: string) => {
                    let parsed: unknown;
                    try {
                      parsed = JSON.parse(value);
                    } catch {
                      throw new Error(t('validation.json'));
                    }
                    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error(t('validation.json'));
                  },
                },
              ]}
            >
              <Input.TextArea rows={8} style={{ fontFamily: 'monospace' }} spellCheck={false} />
            </Form.Item>
          </>
        )}
        <Space>
          <Button type="primary" htmlType="submit" loading={running}>
            {t('test.run')}
          </Button>
          {kind !== 'prompt' && <Button onClick={() => form.setFieldsValue({ input: example })}>{t('test.example')}</Button>}
        </Space>
      </Form>
      {failure && (
        <div style={{ marginTop: 16 }}>
          <Typography.Title level={5}>{t('test.failed')}</Typography.Title>
          <ProblemAlert error={failure.error} unplaced={failure.unplaced} />
        </div>
      )}
      {result && <TestOutput result={result} />}
    </Modal>
  );
}

function TestOutput({ result }: { result: TestResult }) {
  const { t } = useI18n();
  // Chat models answer text, embedding models vectors, ONNX models tensors by output name, endpoints any JSON.
  const { output } = result;
  const text = typeof output === 'string' ? output : null;
  const entries = output && typeof output === 'object' && !Array.isArray(output) ? Object.entries(output) : [];
  const tensors = entries.filter(([, value]) => isTensor(value)) as Array<[string, TensorValue]>;
  const other = text === null && tensors.length === 0 ? output : null;
  return (
    <div data-testid="test-output" style={{ marginTop: 16 }}>
      <Typography.Title level={5}>{t('test.output')}</Typography.Title>
      <Space size="large" style={{ marginBottom: 12 }}>
        <Statistic title={t('test.latency')} value={formatMs(result.latency_ms) ?? ''} />
        {result.usage && (
          <Statistic
            title={t('test.tokens')}
            value={`${t('test.inputTokens')} ${result.usage.input_tokens ?? '—'} · ${t('test.outputTokens')} ${result.usage.output_tokens ?? '—'}`}
          />
        )}
        {result.finish_reason && <Statistic title={t('test.finishReason')} value={result.finish_reason} />}
      </Space>
      {text !== null && (
        <Typography.Paragraph style={{ whiteSpace: 'pre-wrap', background: 'rgba(0,0,0,0.03)', padding: 12, borderRadius: 6 }}>{text}</Typography.Paragraph>
      )}
      {tensors.length > 0 && (
        <Table
          size="small"
          pagination={false}
          rowKey={([name]) => name}
          dataSource={tensors}
          columns={[
            { title: t('test.tensorName'), render: (_v, [name]) => <code>{name}</code>, width: 120 },
            { title: 'dtype', render: (_v, [, tensor]) => tensor.element_type, width: 90 },
            { title: 'shape', render: (_v, [, tensor]) => `[${tensor.shape.join(', ')}]`, width: 90 },
            { title: t('test.output'), render: (_v, [, tensor]) => <pre style={{ margin: 0, maxHeight: 240, overflow: 'auto' }}>{formatTensorJson(tensor.data)}</pre> },
          ]}
        />
      )}
      {other !== null && <pre style={{ maxHeight: 300, overflow: 'auto' }}>{JSON.stringify(other, null, 2)}</pre>}
      <Descriptions size="small" column={1} style={{ marginTop: 8 }}>
        <Descriptions.Item label={t('test.worker')}>{result.worker}</Descriptions.Item>
        <Descriptions.Item label="call_id">{result.call_id}</Descriptions.Item>
      </Descriptions>
    </div>
  );
}
