import { describe, expect, it, jest } from '@jest/globals';
import { screen, waitFor } from '@testing-library/react';
import { ApiError } from '../api/client';
import { aModel, alertShown, button, fakeApi, fieldError, fill, pick, renderConsole } from '../test-support';
import { AddModelModal } from './add-model-modal';

const open = (api: ReturnType<typeof fakeApi>, onCreated = jest.fn(), onClose = jest.fn()) => ({
  ...renderConsole(<AddModelModal open onClose={onClose} onCreated={onCreated} />, { api }),
  onCreated,
  onClose,
});

describe('add model (新增模型)', () => {
  it('checks the required fields before calling the API', async () => {
    const api = fakeApi();
    const { user } = open(api);
    await user.click(button('Add model'));
    await waitFor(() => expect(fieldError('Model name')).toBe('Required'));
    expect(fieldError('Model type')).toBe('Required');
    await fill(user, 'API endpoint', 'ftp://example.com');
    await user.click(button('Add model'));
    await waitFor(() => expect(fieldError('API endpoint')).toBe('Enter an http:// or https:// URL'));
    expect(api.createModel).not.toHaveBeenCalled();
  });

  it('registers a manual model, then uploads its file with a progress bar', async () => {
    const api = fakeApi();
    const created = aModel({ id: 'm-1', name: 'resnet', source: 'upload', framework: 'onnx', type: 'vision' });
    api.createModel.mockResolvedValue(created);
    let finishUpload: (model: ReturnType<typeof aModel>) => void = () => undefined;
    api.uploadFile.mockImplementation((_id, _file, onProgress) => {
      onProgress?.(40);
      return new Promise((resolve) => (finishUpload = resolve));
    });
    const { user, onCreated, onClose } = open(api);
    await fill(user, 'Model name', ' resnet ');
    await fill(user, 'Version', '1.5');
    await pick(user, 'Model type', 'Vision');
    await pick(user, 'Framework', 'ONNX');
    await pick(user, 'Model source', 'File upload');
    await fill(user, 'Model description', 'Image classes');
    await user.type(screen.getByLabelText('Tags'), 'demo{enter}');
    const file = new File([new Uint8Array([8, 1])], 'resnet.onnx');
    await user.upload(document.querySelector<HTMLInputElement>('input[type=file]')!, file);
    await user.click(button('Add model'));

    await waitFor(() => expect(api.uploadFile).toHaveBeenCalled());
    expect(api.createModel).toHaveBeenCalledWith({
      name: 'resnet',
      version: '1.5',
      type: 'vision',
      framework: 'onnx',
      source: 'upload',
      description: 'Image classes',
      tags: ['demo'],
    });
    expect(api.uploadFile.mock.calls[0]![0]).toBe('m-1');
    expect(api.uploadFile.mock.calls[0]![1]).toBe(file);
    expect(await screen.findByText('Uploading resnet.onnx')).toBeInTheDocument();
    expect(screen.getByTestId('upload-progress').querySelector('[aria-valuenow="40"]')).not.toBeNull();
    finishUpload(created);
    await waitFor(() => expect(onClose).toHaveBeenCalled());
    expect(onCreated).toHaveBeenCalledWith(created);
  });

  it('puts the field errors of the problem details on their fields', async () => {
    const api = fakeApi();
    api.createModel.mockRejectedValue(
      new ApiError({
        status: 422,
        title: 'Unprocessable Content',
        detail: 'The request is invalid.',
        errors: [
          { field: 'name', detail: 'name must not contain control characters' },
          { field: 'tags.0', detail: 'each value in tags must be 1-64 letters' },
          { field: 'revision', detail: 'not a field of this form' },
        ],
      }),
    );
    const { user, onClose } = open(api);
    await fill(user, 'Model name', 'bad');
    await pick(user, 'Model type', 'Audio');
    await user.type(screen.getByLabelText('Tags'), 'x{enter}');
    await user.click(button('Add model'));
    await waitFor(() => expect(fieldError('Model name')).toBe('name must not contain control characters'));
    expect(fieldError('Tags')).toBe('each value in tags must be 1-64 letters');
    const alert = alertShown();
    expect(alert).toHaveTextContent('422 Unprocessable Content');
    expect(alert).toHaveTextContent('revision not a field of this form');
    expect(onClose).not.toHaveBeenCalled();
  });

  it('previews a Hugging Face repo while typing and imports it', async () => {
    const api = fakeApi();
    api.previewHubModel.mockResolvedValue({
      id: 'org/tiny',
      sha: 'abc',
      pipeline_tag: 'text-classification',
      library_name: 'transformers',
      tags: ['onnx'],
      license: 'mit',
      gated: false,
      files: [
        { path: 'onnx/model.onnx', size: 2048 },
        { path: 'config.json', size: 1024 },
      ],
    });
    api.createModel.mockResolvedValue(aModel({ name: 'org/tiny', source: 'huggingface', status: 'uploading' }));
    const { user, onClose } = open(api);
    await user.click(screen.getByText('Hugging Face'));
    await fill(user, 'Model name on Hugging Face (repo id)', 'org/tiny');
    const preview = await screen.findByTestId('hub-preview');
    await waitFor(() => expect(preview).toHaveTextContent('text-classification'));
    expect(api.previewHubModel).toHaveBeenCalledTimes(1);
    expect(api.previewHubModel.mock.calls[0]![0]).toBe('org/tiny');
    expect(preview).toHaveTextContent('transformers');
    expect(preview).toHaveTextContent('onnx/model.onnx');
    expect(preview).toHaveTextContent('3.0 KB');
    await user.click(button('Import'));
    await waitFor(() => expect(onClose).toHaveBeenCalled());
    expect(api.createModel).toHaveBeenCalledWith({ name: 'org/tiny', source: 'huggingface' });
  });

  it('says so when the Hub has no such repo', async () => {
    const api = fakeApi();
    api.previewHubModel.mockRejectedValue(new ApiError({ status: 404, title: 'Not Found', detail: 'org/none not found on the Hub' }));
    const { user } = open(api);
    await user.click(screen.getByText('Hugging Face'));
    await fill(user, 'Model name on Hugging Face (repo id)', 'org/none');
    expect(await screen.findByText('No preview: org/none not found on the Hub')).toBeInTheDocument();
  });

  it('registers an OpenAI model with a masked key and the provider model id', async () => {
    const api = fakeApi();
    api.createModel.mockResolvedValue(aModel());
    const { user, onClose } = open(api);
    await user.click(screen.getByText('OpenAI'));
    const key = screen.getByLabelText('API key');
    expect(key).toHaveAttribute('type', 'password');
    await fill(user, 'Model name', 'GPT-4');
    await fill(user, 'API key', 'sk-test-123');
    await fill(user, 'Provider model id', 'gpt-4o');
    await user.click(button('Add model'));
    await waitFor(() => expect(onClose).toHaveBeenCalled());
    expect(api.createModel).toHaveBeenCalledWith({ source: 'openai', name: 'GPT-4', type: 'llm', api_key: 'sk-test-123', provider_model: 'gpt-4o' });
  });

  it('shows the provider refusing the key on the key field', async () => {
    const api = fakeApi();
    api.createModel.mockRejectedValue(
      new ApiError({
        status: 422,
        title: 'Unprocessable Content',
        detail: 'Anthropic refused the API key: invalid x-api-key',
        errors: [{ field: 'api_key', detail: 'Anthropic refused the API key: invalid x-api-key' }],
      }),
    );
    const { user, onClose } = open(api);
    await user.click(screen.getByText('Anthropic'));
    await fill(user, 'Model name', 'Claude');
    await fill(user, 'API key', 'sk-ant-wrong');
    await user.click(button('Add model'));
    await waitFor(() => expect(fieldError('API key')).toBe('Anthropic refused the API key: invalid x-api-key'));
    expect(alertShown()).toHaveTextContent('The provider refused: Anthropic refused the API key: invalid x-api-key');
    expect(api.createModel.mock.calls[0]![0]).toMatchObject({ source: 'anthropic', api_key: 'sk-ant-wrong' });
    expect(onClose).not.toHaveBeenCalled();
  });

  it('shows the provider being unreachable (424)', async () => {
    const api = fakeApi();
    api.createModel.mockRejectedValue(new ApiError({ status: 424, title: 'Failed Dependency', detail: 'OpenAI could not be reached: connect ECONNREFUSED' }));
    const { user } = open(api);
    await user.click(screen.getByText('OpenAI'));
    await fill(user, 'Model name', 'GPT-4');
    await fill(user, 'API key', 'sk-test');
    await user.click(button('Add model'));
    await waitFor(() => expect(alertShown()).toHaveTextContent('The provider refused: OpenAI could not be reached: connect ECONNREFUSED'));
  });
});
