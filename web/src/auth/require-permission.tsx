import { Button, Result } from 'antd';
import type { ReactNode } from 'react';
import { Link } from 'react-router';
import { useI18n } from '../i18n/i18n';
import { useCurrentUser } from './current-user';
import type { ConsolePermission } from './permissions';

/** A page only some roles may use: others (who followed a link, or typed the URL) are told so. */
export function RequirePermission({ permission, children }: { permission: ConsolePermission; children: ReactNode }) {
  const { t } = useI18n();
  const { can } = useCurrentUser();
  if (can(permission)) return <>{children}</>;
  return (
    <Result
      status="403"
      title={t('access.denied')}
      subTitle={t('access.deniedDetail')}
      extra={
        <Link to="/models">
          <Button type="primary">{t('nav.models')}</Button>
        </Link>
      }
    />
  );
}
