import { AppstoreOutlined, LogoutOutlined, RobotOutlined } from '@ant-design/icons';
import { Button, Layout, Menu, Space, Typography } from 'antd';
import { Outlet, useLocation, useNavigate } from 'react-router';
import { useSession } from '../auth/session';
import { LanguageSwitch } from './language-switch';
import { useI18n } from '../i18n/i18n';

/** The left navigation of the user guide: 「AI 應用」 holding 「AI Model 管理」. */
export function AppLayout() {
  const { t } = useI18n();
  const { signOut } = useSession();
  const navigate = useNavigate();
  const location = useLocation();
  const selected = location.pathname.startsWith('/models') ? '/models' : location.pathname;
  return (
    <Layout style={{ minHeight: '100vh' }}>
      <Layout.Sider breakpoint="lg" collapsedWidth={0} width={220} theme="light" style={{ borderRight: '1px solid rgba(5,5,5,0.06)' }}>
        <div style={{ padding: '16px 20px', display: 'flex', alignItems: 'center', gap: 8 }}>
          <RobotOutlined style={{ fontSize: 20, color: '#1677ff' }} />
          <Typography.Text strong style={{ fontSize: 16 }}>
            {t('app.title')}
          </Typography.Text>
        </div>
        <Menu
          mode="inline"
          aria-label="navigation"
          data-testid="side-nav"
          selectedKeys={[selected]}
          onClick={({ key }) => navigate(key)}
          items={[
            {
              type: 'group',
              key: 'ai-apps',
              label: t('nav.aiApps'),
              children: [{ key: '/models', icon: <AppstoreOutlined />, label: t('nav.models') }],
            },
          ]}
        />
      </Layout.Sider>
      <Layout>
        <Layout.Header style={{ background: 'transparent', display: 'flex', justifyContent: 'flex-end', alignItems: 'center', paddingInline: 24 }}>
          <Space>
            <LanguageSwitch />
            <Button icon={<LogoutOutlined />} onClick={() => signOut('user')}>
              {t('auth.signOut')}
            </Button>
          </Space>
        </Layout.Header>
        <Layout.Content style={{ padding: '0 24px 24px' }}>
          <Outlet />
        </Layout.Content>
      </Layout>
    </Layout>
  );
}

