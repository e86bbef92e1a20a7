import { MODEL_FRAMEWORKS, MODEL_SOURCES, MODEL_STATUSES, MODEL_TYPES, type ModelStatus } from '../api/types';
import type { Translate } from '../i18n/i18n';

export const typeOptions = (t: Translate) => MODEL_TYPES.map((v) => ({ value: v, label: t(`type.${v}`) }));
export const frameworkOptions = (t: Translate) => MODEL_FRAMEWORKS.map((v) => ({ value: v, label: t(`framework.${v}`) }));
export const sourceOptions = (t: Translate) => MODEL_SOURCES.map((v) => ({ value: v, label: t(`source.${v}`) }));
export const statusOptions = (t: Translate) => MODEL_STATUSES.map((v) => ({ value: v, label: t(`status.${v}`) }));

/** Sources a manual entry may name: the Hugging Face and provider sources have their own forms. */
export const manualSourceOptions = (t: Translate) =>
  (['custom', 'upload', 'endpoint'] as const).map((v) => ({ value: v, label: t(`source.${v}`) }));

export const STATUS_COLORS: Record<ModelStatus, string> = {
  active: 'green',
  inactive: 'default',
  uploading: 'processing',
  error: 'red',
};

/** What the user guide accepts for manual uploads; other files are allowed by the API as well. */
export const MODEL_FILE_ACCEPT = '.pt,.pth,.onnx,.pb,.h5,.bin,.safetensors,.json,.txt,.model';

/** The tag rule of the API (TAG_PATTERN in libs/contracts), checked before sending. */
export const TAG_PATTERN = /^[\p{L}\p{N}][\p{L}\p{N} ._:/+-]{0,63}$/u;
