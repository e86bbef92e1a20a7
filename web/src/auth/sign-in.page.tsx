import { KeyOutlined } from '@ant-design/icons';
import { Alert, Button, Card, Form, Input, Space, Typography } from 'antd';
import { useState } from 'react';
import { Navigate, useLocation } from 'react-router';
import { useApi } from '../api/api-context';
import { ApiError } from '../api/client';
import { ProblemAlert } from '../common/error-state';
import { useI18n } from '../i18n/i18n';
import { LanguageSwitch } from '../layout/language-switch';
import { useSession } from './session';

/** Where to go after signing in: the page that sent the user here, if it is one of ours. */
export function nextPath(search: string): string {
  const next = new URLSearchParams(search).get('next');
  return next && next.startsWith('/') && !next.startsWith('//') ? next : '/models';
}

export function SignInPage() {
  const { t } = useI18n();
  const api = useApi();
  const location = useLocation();
  const { token, signIn, endedBecause } = useSession();
  const [checking, setChecking] = useState(false);
  const [failure, setFailure] = useState<unknown>(null);
  const [form] = Form.useForm<{ token: string }>();

  if (token) return <Navigate to={nextPath(location.search)} replace />;

  const submit = async ({ token: typed }: { token: string }) => {
    const candidate = typed.trim();
    setChecking(true);
    setFailure(null);
    try {
      await api.verifyToken(candidate);
      signIn(candidate);
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) form.setFields([{ name: 'token', errors: [t('auth.invalid')] }]);
      else setFailure(error);
    } finally {
      setChecking(false);
    }
  };

  return (
    <div style={{ minHeight: '100vh', display: 'flex', alignItems: 'center', justifyContent: 'center', background: '#f5f5f5' }}>
      <Card style={{ width: 440 }}>
        <Space orientation="vertical" size="middle" style={{ width: '100%' }}>
          <div style={{ display: 'flex', justifyContent: 'space-between', alignItems: 'center' }}>
            <Typography.Title level={4} style={{ margin: 0 }}>
              {t('auth.title')}
            </Typography.Title>
            <LanguageSwitch />
          </div>
          <Typography.Text type="secondary">{t('auth.intro')}</Typography.Text>
          {endedBecause === 'expired' && <Alert type="warning" showIcon title={t('auth.expired')} />}
          <Form form={form} layout="vertical" onFinish={submit} name="sign-in">
            <Form.Item name="token" label={t('auth.token')} rules={[{ required: true, whitespace: true, message: t('auth.tokenRequired') }]}>
              <Input.Password prefix={<KeyOutlined />} autoComplete="off" autoFocus />
            </Form.Item>
            {failure ? <ProblemAlert error={failure} /> : null}
            <Button type="primary" htmlType="submit" block loading={checking} style={{ marginTop: 8 }}>
              {t('auth.signIn')}
            </Button>
          </Form>
        </Space>
      </Card>
    </div>
  );
}
