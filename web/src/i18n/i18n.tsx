import { ConfigProvider } from 'antd';
import enUS from 'antd/locale/en_US';
import zhTWLocale from 'antd/locale/zh_TW';
import dayjs from 'dayjs';
import 'dayjs/locale/zh-tw';
import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import { en, zhTW, type MessageKey, type Messages } from './messages';

export const LANGUAGES = ['zh-TW', 'en'] as const;
export type Language = (typeof LANGUAGES)[number];

const dictionaries: Record<Language, Messages> = { en, 'zh-TW': zhTW };
const antdLocales = { en: enUS, 'zh-TW': zhTWLocale } as const;
const dayjsLocales: Record<Language, string> = { en: 'en', 'zh-TW': 'zh-tw' };
const STORAGE_KEY = 'modelyard.language';

/** Any Chinese browser language gets the Traditional Chinese console (the guide's language); everything else English. */
export function detectLanguage(languages: readonly string[]): Language {
  for (const language of languages) {
    const lower = language.toLowerCase();
    if (lower.startsWith('zh')) return 'zh-TW';
    if (lower.startsWith('en')) return 'en';
  }
  return 'en';
}

export type Translate = (key: MessageKey, values?: Record<string, string | number>) => string;

export function translator(language: Language): Translate {
  const messages = dictionaries[language];
  return (key, values) => {
    const text = messages[key] ?? key;
    return values ? text.replace(/\{(\w+)\}/g, (whole, name: string) => (name in values ? String(values[name]) : whole)) : text;
  };
}

interface I18nValue {
  language: Language;
  setLanguage(language: Language): void;
  t: Translate;
}

const I18nContext = createContext<I18nValue | null>(null);

function initialLanguage(): Language {
  const stored = window.localStorage.getItem(STORAGE_KEY);
  if (stored && (LANGUAGES as readonly string[]).includes(stored)) return stored as Language;
  return detectLanguage(navigator.languages?.length ? navigator.languages : [navigator.language]);
}

/** The console's language, with Ant Design's own texts (pagination, pickers, empty states) and dayjs switched with it. */
export function I18nProvider({ children, language: fixed }: { children: ReactNode; language?: Language }) {
  const [language, setLanguageState] = useState<Language>(() => fixed ?? initialLanguage());
  const setLanguage = useCallback((next: Language) => {
    window.localStorage.setItem(STORAGE_KEY, next);
    setLanguageState(next);
  }, []);
  useEffect(() => {
    dayjs.locale(dayjsLocales[language]);
    document.documentElement.lang = language;
  }, [language]);
  const value = useMemo(() => ({ language, setLanguage, t: translator(language) }), [language, setLanguage]);
  return (
    <I18nContext.Provider value={value}>
      <ConfigProvider locale={antdLocales[language]}>{children}</ConfigProvider>
    </I18nContext.Provider>
  );
}

export function useI18n(): I18nValue {
  const value = useContext(I18nContext);
  if (!value) throw new Error('useI18n() outside <I18nProvider>');
  return value;
}
