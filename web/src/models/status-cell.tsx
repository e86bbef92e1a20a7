import { App, Progress, Space, Switch, Tag, Tooltip } from 'antd';
import { useState } from 'react';
import { useApi } from '../api/api-context';
import type { Model } from '../api/types';
import { useErrorText } from '../common/error-state';
import { formatBytes } from '../common/format';
import { useI18n } from '../i18n/i18n';
import { STATUS_COLORS } from './model-options';

/** A model's status, coloured, with the reason on hover. */
export function StatusTag({ model }: { model: Pick<Model, 'status' | 'status_message'> }) {
  const { t } = useI18n();
  const tag = (
    <Tag color={STATUS_COLORS[model.status]} data-status={model.status}>
      {t(`status.${model.status}`)}
    </Tag>
  );
  return model.status_message ? <Tooltip title={model.status_message}>{tag}</Tooltip> : tag;
}

/** Import or upload progress while a model is `uploading`. */
export function TransferProgress({ model, compact = false }: { model: Model; compact?: boolean }) {
  const { t } = useI18n();
  const progress = model.progress;
  if (model.status !== 'uploading' || !progress) return null;
  const percent = progress.bytes_total ? Math.floor((progress.bytes_done / progress.bytes_total) * 100) : undefined;
  const label = [
    progress.current_file && t('list.importing', { file: progress.current_file }),
    progress.files_total !== null && t('detail.progressFiles', { done: progress.files_done, total: progress.files_total }),
    `${formatBytes(progress.bytes_done)}${progress.bytes_total ? ` / ${formatBytes(progress.bytes_total)}` : ''}`,
  ]
    .filter(Boolean)
    .join(' · ');
  return (
    <div data-testid="transfer-progress" style={{ minWidth: compact ? 140 : undefined }}>
      <Progress percent={percent ?? 0} size="small" status="active" showInfo={percent !== undefined} />
      <div style={{ fontSize: 12, opacity: 0.75 }}>{label}</div>
    </div>
  );
}

/**
 * The row's on/off switch: active ↔ inactive. Uploading and error are shown but cannot be switched;
 * the reason is on hover. `readOnly`: the caller's role may not edit models, so it only shows the state.
 */
export function StatusSwitch({ model, onChanged, readOnly = false }: { model: Model; onChanged(model: Model): void; readOnly?: boolean }) {
  const { t } = useI18n();
  const api = useApi();
  const { message } = App.useApp();
  const errorText = useErrorText();
  const [busy, setBusy] = useState(false);
  const switchable = model.status === 'active' || model.status === 'inactive';
  const toggle = async () => {
    setBusy(true);
    try {
      const changed = await api.toggleStatus(model.id);
      message.success(t('list.toggled', { name: changed.name, status: t(`status.${changed.status}`) }));
      onChanged(changed);
    } catch (error) {
      const text = errorText(error);
      message.error(`${text.title}: ${text.detail}`);
    } finally {
      setBusy(false);
    }
  };
  const control = (
    <Switch
      size="small"
      checked={model.status === 'active'}
      disabled={!switchable || readOnly}
      loading={busy}
      onChange={toggle}
      aria-label={`${t('list.toggle')} ${model.name}`}
    />
  );
  const reason = readOnly ? t('access.cannotEdit') : switchable ? t('list.toggle') : [t('list.notSwitchable', { status: t(`status.${model.status}`) }), model.status_message].filter(Boolean).join(': ');
  return (
    <Space size={6}>
      <Tooltip title={reason}>
        {/* A disabled switch gets no mouse events: the wrapper carries the tooltip. */}
        <span data-testid={`status-switch-${model.id}`}>{control}</span>
      </Tooltip>
      <StatusTag model={model} />
    </Space>
  );
}
