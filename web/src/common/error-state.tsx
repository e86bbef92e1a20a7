import { Alert, Button, Result } from 'antd';
import { ApiError } from '../api/client';
import { useI18n } from '../i18n/i18n';

/** The title and text an error is shown with: the API's problem details, or the console's own network message. */
export function useErrorText() {
  const { t } = useI18n();
  return (error: unknown): { title: string; detail: string } => {
    if (error instanceof ApiError) {
      if (error.isNetworkError) return { title: t('error.generic'), detail: t('error.network') };
      return { title: `${error.status} ${error.title}`, detail: error.detail };
    }
    return { title: t('error.generic'), detail: error instanceof Error ? error.message : String(error) };
  };
}

/** A failed load, full size, with a retry. */
export function ErrorState({ error, onRetry }: { error: unknown; onRetry?: () => void }) {
  const { t } = useI18n();
  const text = useErrorText()(error);
  return (
    <Result
      status={error instanceof ApiError && error.status === 404 ? '404' : 'warning'}
      title={text.title}
      subTitle={text.detail}
      extra={onRetry && <Button type="primary" onClick={onRetry}>{t('common.retry')}</Button>}
    />
  );
}

/** A failed action inside a form or dialog: the problem's detail and any field errors not shown on a field. */
export function ProblemAlert({ error, unplaced = [], onRetry }: { error: unknown; unplaced?: Array<{ field: string; detail: string }>; onRetry?: () => void }) {
  const { t } = useI18n();
  const text = useErrorText()(error);
  return (
    <Alert
      type="error"
      showIcon
      role="alert"
      title={text.title}
      description={
        <>
          <div>{text.detail}</div>
          {unplaced.length > 0 && (
            <ul style={{ margin: '4px 0 0', paddingLeft: 20 }}>
              {unplaced.map((e) => (
                <li key={`${e.field}:${e.detail}`}>
                  {e.field ? <code>{e.field}</code> : null} {e.detail}
                </li>
              ))}
            </ul>
          )}
        </>
      }
      action={onRetry && <Button size="small" onClick={onRetry}>{t('common.retry')}</Button>}
    />
  );
}
