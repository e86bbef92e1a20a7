import { describe, expect, it } from '@jest/globals';
import { screen, waitFor } from '@testing-library/react';
import { ApiError } from '../api/client';
import { aModel, alertShown, button, fakeApi, fieldError, fill, renderConsole } from '../test-support';
import { TestModelModal } from './test-model-modal';

const onnx = aModel({
  name: 'linear',
  type: 'custom',
  framework: 'onnx',
  source: 'upload',
  config: {
    input_format: null,
    output_format: null,
    parameters: {},
    env: {},
    signature: { inputs: [{ name: 'x', element_type: 'float32', shape: ['batch', 3] }], outputs: [{ name: 'y', element_type: 'float32', shape: ['batch', 2] }] },
  },
});

describe('test model', () => {
  it('gives an LLM a prompt and max tokens, and shows the text, latency and token usage', async () => {
    const api = fakeApi();
    api.testModel.mockResolvedValue({
      output: 'I am fine, thank you.',
      latency_ms: 812.4,
      model_id: 'm',
      worker: 'inference@host',
      call_id: 'c1',
      usage: { input_tokens: 12, output_tokens: 7 },
      finish_reason: 'stop',
    });
    const { user } = renderConsole(<TestModelModal model={aModel()} onClose={() => undefined} />, { api });
    await fill(user, 'Prompt', 'Hello, how are you?');
    await fill(user, 'Max tokens', '50');
    await user.click(button('Run'));
    const output = await screen.findByTestId('test-output');
    expect(api.testModel).toHaveBeenCalledWith(aModel().id, { prompt: 'Hello, how are you?', max_tokens: 50 });
    expect(output).toHaveTextContent('I am fine, thank you.');
    expect(output).toHaveTextContent('812.4 ms');
    expect(output).toHaveTextContent('input 12 · output 7');
    expect(output).toHaveTextContent('stop');
  });

  it('starts an ONNX model from an example generated from its recorded inputs and shows the output tensors', async () => {
    const api = fakeApi();
    api.testModel.mockResolvedValue({
      output: { y: { element_type: 'float32', shape: [1, 2], data: [[22.5, 29]] } },
      latency_ms: 0.4,
      model_id: onnx.id,
      worker: 'inference@host',
      call_id: 'c2',
      usage: null,
      finish_reason: null,
    });
    const { user } = renderConsole(<TestModelModal model={onnx} onClose={() => undefined} />, { api });
    const editor = screen.getByLabelText('Input tensors (JSON)') as HTMLTextAreaElement;
    expect(JSON.parse(editor.value)).toEqual({ inputs: { x: [[1, 2, 3]] } });
    await user.click(button('Run'));
    const output = await screen.findByTestId('test-output');
    expect(api.testModel).toHaveBeenCalledWith(onnx.id, { inputs: { x: [[1, 2, 3]] } });
    expect(output).toHaveTextContent('[22.5, 29]');
    expect(output).toHaveTextContent('[1, 2]');
  });

  it('refuses input that is not JSON, and shows the API problem with its field errors', async () => {
    const api = fakeApi();
    api.testModel.mockRejectedValue(
      new ApiError({
        status: 422,
        title: 'Unprocessable Content',
        detail: 'input x has shape [1, 2]; the model expects [batch, 3]',
        code: 'invalid_input',
        errors: [{ field: 'input_data.inputs.x', detail: 'expected shape [batch, 3]' }],
      }),
    );
    const { user } = renderConsole(<TestModelModal model={onnx} onClose={() => undefined} />, { api });
    await fill(user, 'Input tensors (JSON)', '{"inputs": ');
    await user.click(button('Run'));
    await waitFor(() => expect(fieldError('Input tensors (JSON)')).toBe('Enter a JSON object'));
    expect(api.testModel).not.toHaveBeenCalled();

    await fill(user, 'Input tensors (JSON)', '{"inputs": {"x": [[1, 2]]}}');
    await user.click(button('Run'));
    await waitFor(() => expect(fieldError('Input tensors (JSON)')).toBe('expected shape [batch, 3]'));
    expect(screen.getByText('The test failed')).toBeInTheDocument();
    expect(alertShown()).toHaveTextContent('422 Unprocessable Content');
    expect(alertShown()).toHaveTextContent('input x has shape [1, 2]; the model expects [batch, 3]');
  });
});
