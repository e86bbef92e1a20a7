import { chatConversation, contentText, embeddingTexts, mergedParameters } from './chat-input.util.js';
import { ProviderError } from './provider.exception.js';

function thrown(run: () => unknown): ProviderError {
  try {
    run();
  } catch (error) {
    if (error instanceof ProviderError) return error;
    throw error;
  }
  throw new Error('expected a ProviderError');
}

describe('mergedParameters', () => {
  it('lets the request win over the model defaults and drops structural keys', () => {
    expect(
      mergedParameters(
        { temperature: 0.1, max_tokens: 50, system: 's', model: 'm' },
        { prompt: 'p', temperature: 0.9, seed: 3, stream: true, input: 'x', messages: [], top_p: undefined },
      ),
    ).toEqual({ temperature: 0.9, max_tokens: 50, seed: 3 });
    expect(mergedParameters({ encoding_format: 'base64', dimensions: 4 }, {}, ['encoding_format'])).toEqual({ dimensions: 4 });
  });
});

describe('chatConversation', () => {
  it('turns a prompt into one user turn with the request system, else the model one', () => {
    expect(chatConversation({ prompt: 'hi', system: 'req' }, { system: 'model' })).toEqual({
      messages: [{ role: 'user', content: 'hi' }],
      system: 'req',
    });
    expect(chatConversation({ prompt: 'hi' }, { system: 'model' }).system).toBe('model');
    expect(chatConversation({ prompt: 'hi' }, {}).system).toBeNull();
  });

  it('takes messages as given; their own system turn overrides the model system', () => {
    const messages = [{ role: 'system', content: 'own' }, { role: 'user', content: 'x' }];
    expect(chatConversation({ messages }, { system: 'model' })).toEqual({ messages, system: null });
    expect(chatConversation({ messages: [{ role: 'user', content: 'x' }] }, { system: 'model' }).system).toBe('model');
  });

  it('refuses an input without prompt or messages on field input_data.prompt', () => {
    expect(thrown(() => chatConversation({ text: 'x' }, {}))).toMatchObject({
      status: 422,
      code: 'invalid_input',
      field: 'input_data.prompt',
      errorClass: 'invalid_input',
    });
  });

  it('refuses malformed messages and systems', () => {
    expect(thrown(() => chatConversation({ messages: [] }, {})).field).toBe('input_data.messages');
    expect(thrown(() => chatConversation({ messages: [{ content: 'no role' }] }, {})).field).toBe('input_data.messages');
    expect(thrown(() => chatConversation({ prompt: 'x', system: 3 }, {})).field).toBe('input_data.system');
  });
});

describe('embeddingTexts', () => {
  it('takes input or prompt', () => {
    expect(embeddingTexts({ input: ['a', 'b'] })).toEqual(['a', 'b']);
    expect(embeddingTexts({ input: 'a' })).toBe('a');
    expect(embeddingTexts({ prompt: 'p' })).toBe('p');
  });

  it('refuses anything else on field input_data.input', () => {
    expect(thrown(() => embeddingTexts({ input: [1, 2] })).field).toBe('input_data.input');
    expect(thrown(() => embeddingTexts({})).status).toBe(422);
  });
});

describe('contentText', () => {
  it('reads strings and text blocks', () => {
    expect(contentText('x')).toBe('x');
    expect(contentText([{ type: 'text', text: 'a' }, { type: 'image' }, { type: 'text', text: 'b' }])).toBe('a\nb');
    expect(contentText(null)).toBe('');
  });
});
