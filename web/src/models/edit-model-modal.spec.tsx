import { describe, expect, it, jest } from '@jest/globals';
import { screen, waitFor } from '@testing-library/react';
import { ApiError } from '../api/client';
import { aModel, alertShown, button, fakeApi, fieldError, fill, renderConsole } from '../test-support';
import { changesOf, editValuesOf, EditModelModal } from './edit-model-modal';

const stored = aModel({
  config: { input_format: 'text', output_format: null, parameters: { temperature: 0.7 }, env: { OMP_NUM_THREADS: '4' }, signature: null },
  has_api_key: true,
  api_key_last4: 'x9Qz',
  provider_model: 'gpt-4o',
});

describe('edit model', () => {
  it('sends only what changed, config members whole, and keeps the key when left blank', () => {
    const values = editValuesOf(stored);
    expect(changesOf(stored, values)).toEqual({});
    expect(
      changesOf(stored, {
        ...values,
        description: '  ',
        accuracy: 0.9,
        parameters: '{"temperature": 0.2}',
        env: [...values.env, { name: 'HF_HOME', value: '/cache' }],
        api_key: '',
      }),
    ).toEqual({ description: null, accuracy: 0.9, config: { parameters: { temperature: 0.2 }, env: { OMP_NUM_THREADS: '4', HF_HOME: '/cache' } } });
    expect(changesOf(stored, { ...values, api_key: ' sk-new ' })).toEqual({ api_key: 'sk-new' });
    // A model of another source has no key to send.
    expect(changesOf({ ...stored, source: 'upload' }, { ...values, api_key: 'sk-new' })).toEqual({});
  });

  it('edits fields and config through PATCH and reports the saved model', async () => {
    const api = fakeApi();
    const saved = { ...stored, description: 'Chat model' };
    api.updateModel.mockResolvedValue(saved);
    const onSaved = jest.fn();
    const onClose = jest.fn();
    const { user } = renderConsole(<EditModelModal model={stored} onClose={onClose} onSaved={onSaved} />, { api });
    expect(screen.getByText('Stored key ending in x9Qz · Leave blank to keep the stored key')).toBeInTheDocument();
    await fill(user, 'Model description', 'Chat model');
    await fill(user, 'Output format', 'text');
    await user.click(button('Add variable'));
    const names = screen.getAllByLabelText('Name');
    await user.click(names[names.length - 1]!);
    await user.paste('LOG_LEVEL');
    const valuesInputs = screen.getAllByLabelText('Value');
    await user.click(valuesInputs[valuesInputs.length - 1]!);
    await user.paste('debug');
    await user.click(button('Save'));
    await waitFor(() => expect(onClose).toHaveBeenCalled());
    expect(api.updateModel).toHaveBeenCalledWith(stored.id, {
      description: 'Chat model',
      config: { output_format: 'text', env: { OMP_NUM_THREADS: '4', LOG_LEVEL: 'debug' } },
    });
    expect(onSaved).toHaveBeenCalledWith(saved);
  });

  it('refuses parameters that are not a JSON object, and shows server field errors on their fields', async () => {
    const api = fakeApi();
    api.updateModel.mockRejectedValue(
      new ApiError({
        status: 422,
        title: 'Unprocessable Content',
        detail: 'The request is invalid.',
        errors: [
          { field: 'config.env', detail: 'env must be an object of at most 100 variables' },
          { field: 'version', detail: 'GPT-4 5.0 already exists' },
        ],
      }),
    );
    const { user } = renderConsole(<EditModelModal model={stored} onClose={jest.fn()} onSaved={jest.fn()} />, { api });
    await fill(user, 'Parameters (JSON)', '[1, 2]');
    await user.click(button('Save'));
    await waitFor(() => expect(fieldError('Parameters (JSON)')).toBe('Enter a JSON object'));
    expect(api.updateModel).not.toHaveBeenCalled();

    await fill(user, 'Parameters (JSON)', '{}');
    await fill(user, 'Version', '5.0');
    await user.click(button('Save'));
    await waitFor(() => expect(fieldError('Version')).toBe('GPT-4 5.0 already exists'));
    expect(screen.getByText('env must be an object of at most 100 variables')).toBeInTheDocument();
    expect(alertShown()).toHaveTextContent('The request is invalid.');
  });
});
