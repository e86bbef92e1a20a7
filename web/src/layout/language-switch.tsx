import { Segmented } from 'antd';
import { useI18n, type Language } from '../i18n/i18n';

/** Each language is named in itself, so it can be found whatever the current one is. */
const LABELS: Record<Language, string> = { 'zh-TW': '繁體中文', en: 'English' };

export function LanguageSwitch() {
  const { language, setLanguage, t } = useI18n();
  return (
    <Segmented<Language>
      aria-label={t('lang.label')}
      data-testid="language-switch"
      value={language}
      onChange={setLanguage}
      options={(Object.keys(LABELS) as Language[]).map((value) => ({ value, label: LABELS[value] }))}
    />
  );
}
