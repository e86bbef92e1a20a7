import { CheckOutlined, CopyOutlined } from '@ant-design/icons';
import { Alert, App, Button, Input, Modal, Space, Typography } from 'antd';
import { useRef, useState } from 'react';
import type { CreatedToken } from '../api/identity-types';
import { useI18n } from '../i18n/i18n';

/** Copies through the Clipboard API, or the selection where the page may not use it (an old browser, a denied permission). */
async function copyText(text: string, input: HTMLInputElement | null): Promise<boolean> {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    if (!input) return false;
    input.select();
    return document.execCommand('copy');
  }
}

/**
 * The new token, shown this once: the API keeps only its hash. The dialog does not close on a stray
 * click or Escape, so the token is not lost before it is copied.
 */
export function TokenCreatedModal({ token, onClose }: { token: CreatedToken; onClose(): void }) {
  const { t } = useI18n();
  const { message } = App.useApp();
  const input = useRef<HTMLInputElement>(null);
  const [copied, setCopied] = useState(false);

  const copy = async () => {
    if (await copyText(token.token, input.current)) {
      setCopied(true);
      message.success(t('tokens.copied'));
    } else {
      message.warning(t('tokens.copyFailed'));
    }
  };

  return (
    <Modal
      open
      title={t('tokens.createdTitle', { name: token.name })}
      closable={false}
      mask={{ closable: false }}
      keyboard={false}
      footer={
        <Button type="primary" onClick={onClose}>
          {t('tokens.done')}
        </Button>
      }
    >
      <Space orientation="vertical" size="middle" style={{ width: '100%' }}>
        <Alert type="warning" showIcon title={t('tokens.onceWarning')} description={t('tokens.onceDetail')} />
        <Space.Compact style={{ width: '100%' }}>
          <Input
            ref={(element) => {
              input.current = element?.input ?? null;
            }}
            value={token.token}
            readOnly
            aria-label={t('tokens.theToken')}
            data-testid="created-token"
            style={{ fontFamily: 'monospace' }}
            onFocus={(event) => event.target.select()}
          />
          <Button icon={copied ? <CheckOutlined /> : <CopyOutlined />} onClick={copy}>
            {copied ? t('tokens.copiedShort') : t('tokens.copy')}
          </Button>
        </Space.Compact>
        <Typography.Text type="secondary">{t('tokens.useHint')}</Typography.Text>
      </Space>
    </Modal>
  );
}
