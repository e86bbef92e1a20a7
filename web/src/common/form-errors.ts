import type { FormInstance } from 'antd';
import { ApiError } from '../api/client';
import type { FieldError } from '../api/types';

type NamePath = Array<string | number>;

/**
 * Puts the field errors of a problem on the form fields they name. The API names fields by dotted
 * path (`config.parameters`, `tags.2`); `aliases` maps an API path (or its prefix) onto a form field
 * where the two differ. Returns the errors that matched no field, to be shown above the form.
 */
export function applyProblemToForm<Values>(typedForm: FormInstance<Values>, error: unknown, aliases: Record<string, NamePath> = {}): FieldError[] {
  if (!(error instanceof ApiError)) return [];
  // Field names come from the server at run time: the form's compile-time name types do not apply.
  const form = typedForm as unknown as FormInstance;
  const registered = new Set(form.getFieldsError().map((f) => JSON.stringify(f.name)));
  const byField = new Map<string, { name: NamePath; errors: string[] }>();
  const unplaced: FieldError[] = [];
  for (const fieldError of error.errors) {
    const name = formNameFor(fieldError.field, registered, aliases);
    if (!name) {
      unplaced.push(fieldError);
      continue;
    }
    const key = JSON.stringify(name);
    const entry = byField.get(key) ?? { name, errors: [] };
    entry.errors.push(fieldError.detail);
    byField.set(key, entry);
  }
  form.setFields([...byField.values()]);
  return unplaced;
}

function formNameFor(field: string, registered: Set<string>, aliases: Record<string, NamePath>): NamePath | undefined {
  const parts = field.split('.').filter(Boolean);
  // Longest prefix first: `config.env.FOO` lands on `config.env` when that is a field, `tags.3` on `tags`.
  for (let length = parts.length; length > 0; length--) {
    const prefix = parts.slice(0, length).join('.');
    if (aliases[prefix]) return aliases[prefix];
    const candidate = parts.slice(0, length);
    if (registered.has(JSON.stringify(candidate))) return candidate;
  }
  return undefined;
}
