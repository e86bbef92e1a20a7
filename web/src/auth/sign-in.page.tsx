import { KeyOutlined, LockOutlined, UserOutlined } from '@ant-design/icons';
import { Alert, Button, Card, Form, Input, Space, Tabs, Typography } from 'antd';
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

type Method = 'password' | 'token';

export function SignInPage() {
  const { t } = useI18n();
  const location = useLocation();
  const { token, endedBecause } = useSession();
  const [method, setMethod] = useState<Method>('password');

  if (token) return <Navigate to={nextPath(location.search)} replace />;

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
          {endedBecause === 'expired' && <Alert type="warning" showIcon title={t('auth.expired')} />}
          <Tabs
            activeKey={method}
            onChange={(key) => setMethod(key as Method)}
            items={[
              { key: 'password', label: t('auth.withPassword'), children: <PasswordForm /> },
              { key: 'token', label: t('auth.withToken'), children: <TokenForm /> },
            ]}
          />
        </Space>
      </Card>
    </div>
  );
}

/** The API's answer to a failed sign-in, in words: throttling says how long to wait. */
function useSignInFailure() {
  const { t } = useI18n();
  return (error: unknown): string | null => {
    if (error instanceof ApiError && error.status === 429) {
      return t('auth.throttled', { minutes: Math.max(1, Math.ceil((error.retryAfter ?? 60) / 60)) });
    }
    return null;
  };
}

function PasswordForm() {
  const { t } = useI18n();
  const api = useApi();
  const { signIn } = useSession();
  const throttled = useSignInFailure();
  const [checking, setChecking] = useState(false);
  const [failure, setFailure] = useState<unknown>(null);
  const [form] = Form.useForm<{ username: string; password: string }>();

  const submit = async ({ username, password }: { username: string; password: string }) => {
    setChecking(true);
    setFailure(null);
    try {
      const session = await api.login(username.trim(), password);
      signIn(session.token);
    } catch (error) {
      // The API does not say which of the two was wrong, and neither does the console.
      if (error instanceof ApiError && error.status === 401) form.setFields([{ name: 'password', value: '', errors: [t('auth.wrongPassword')] }]);
      else setFailure(error);
      setChecking(false);
    }
  };

  const waitText = failure ? throttled(failure) : null;
  return (
    <Form form={form} layout="vertical" onFinish={submit} name="sign-in-password" requiredMark={false}>
      <Form.Item name="username" label={t('auth.username')} rules={[{ required: true, whitespace: true, message: t('validation.required') }]}>
        <Input prefix={<UserOutlined />} autoComplete="username" autoFocus />
      </Form.Item>
      <Form.Item name="password" label={t('auth.password')} rules={[{ required: true, message: t('validation.required') }]}>
        <Input.Password prefix={<LockOutlined />} autoComplete="current-password" />
      </Form.Item>
      {waitText ? <Alert type="error" showIcon role="alert" title={waitText} /> : failure ? <ProblemAlert error={failure} /> : null}
      <Button type="primary" htmlType="submit" block loading={checking} style={{ marginTop: 8 }}>
        {t('auth.signIn')}
      </Button>
    </Form>
  );
}

function TokenForm() {
  const { t } = useI18n();
  const api = useApi();
  const { signIn } = useSession();
  const [checking, setChecking] = useState(false);
  const [failure, setFailure] = useState<unknown>(null);
  const [form] = Form.useForm<{ token: string }>();

  const submit = async ({ token: typed }: { token: string }) => {
    const candidate = typed.trim();
    setChecking(true);
    setFailure(null);
    try {
      await api.whoAmI(candidate);
      signIn(candidate);
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) form.setFields([{ name: 'token', errors: [t('auth.invalid')] }]);
      else setFailure(error);
      setChecking(false);
    }
  };

  return (
    <Form form={form} layout="vertical" onFinish={submit} name="sign-in-token" requiredMark={false}>
      <Typography.Paragraph type="secondary">{t('auth.intro')}</Typography.Paragraph>
      <Form.Item name="token" label={t('auth.token')} rules={[{ required: true, whitespace: true, message: t('auth.tokenRequired') }]}>
        <Input.Password prefix={<KeyOutlined />} autoComplete="off" />
      </Form.Item>
      {failure ? <ProblemAlert error={failure} /> : null}
      <Button type="primary" htmlType="submit" block loading={checking} style={{ marginTop: 8 }}>
        {t('auth.signIn')}
      </Button>
    </Form>
  );
}
