import { AppstoreOutlined, AuditOutlined, KeyOutlined, LogoutOutlined, RobotOutlined, TeamOutlined, UserOutlined } from '@ant-design/icons';
import { Button, Layout, Menu, Space, Tag, Tooltip, Typography, type MenuProps } from 'antd';
import { Outlet, useLocation, useNavigate } from 'react-router';
import { useCurrentUser, useSignOut } from '../auth/current-user';
import { useI18n } from '../i18n/i18n';
import { ROLE_COLORS } from '../identity/identity-options';
import { LanguageSwitch } from './language-switch';

type ItemType = NonNullable<MenuProps['items']>[number];

/** The menu entries under the one that is open: `/models/42` selects `/models`. */
const SECTIONS = ['/models', '/tokens', '/users', '/teams', '/audit'];

/** The left navigation of the user guide: 「AI 應用」 holding 「AI Model 管理」, then what the role may manage. */
export function AppLayout() {
  const { t } = useI18n();
  const { me, can } = useCurrentUser();
  const signOut = useSignOut();
  const navigate = useNavigate();
  const location = useLocation();
  const selected = SECTIONS.find((section) => location.pathname.startsWith(section)) ?? location.pathname;

  // Entries a role cannot use are not offered at all (the API would refuse them).
  const accessEntries: ItemType[] = [];
  if (can('users.manage')) {
    accessEntries.push({ key: '/users', icon: <UserOutlined />, label: t('nav.users') }, { key: '/teams', icon: <TeamOutlined />, label: t('nav.teams') });
  }
  if (can('tokens.own')) accessEntries.push({ key: '/tokens', icon: <KeyOutlined />, label: t('nav.tokens') });
  if (can('audit.read')) accessEntries.push({ key: '/audit', icon: <AuditOutlined />, label: t('nav.audit') });
  const items: ItemType[] = [
    { type: 'group', key: 'ai-apps', label: t('nav.aiApps'), children: [{ key: '/models', icon: <AppstoreOutlined />, label: t('nav.models') }] },
  ];
  if (accessEntries.length) items.push({ type: 'group', key: 'access', label: t('nav.access'), children: accessEntries });

  const name = me.user.display_name ? `${me.user.display_name} (${me.user.username})` : me.user.username;
  return (
    <Layout style={{ minHeight: '100vh' }}>
      <Layout.Sider breakpoint="lg" collapsedWidth={0} width={220} theme="light" style={{ borderRight: '1px solid rgba(5,5,5,0.06)' }}>
        <div style={{ padding: '16px 20px', display: 'flex', alignItems: 'center', gap: 8 }}>
          <RobotOutlined style={{ fontSize: 20, color: '#1677ff' }} />
          <Typography.Text strong style={{ fontSize: 16 }}>
            {t('app.title')}
          </Typography.Text>
        </div>
        <Menu mode="inline" aria-label="navigation" data-testid="side-nav" selectedKeys={[selected]} onClick={({ key }) => navigate(key)} items={items} />
      </Layout.Sider>
      <Layout>
        <Layout.Header style={{ background: 'transparent', display: 'flex', justifyContent: 'flex-end', alignItems: 'center', paddingInline: 24 }}>
          <Space>
            <Tooltip title={me.via === 'session' ? undefined : t(`auth.via.${me.via}`)}>
              <Space size={4} data-testid="current-user">
                <UserOutlined />
                <Typography.Text>{name}</Typography.Text>
                <Tag color={ROLE_COLORS[me.user.role]} data-role={me.user.role}>
                  {t(`role.${me.user.role}`)}
                </Tag>
              </Space>
            </Tooltip>
            <LanguageSwitch />
            <Button icon={<LogoutOutlined />} onClick={() => void signOut()}>
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
