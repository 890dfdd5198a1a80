/**
 * A simulated language model: no network, no key. It streams its answer word
 * by word like a real provider, and asks for the weather tool when the prompt
 * mentions the weather, so the example shows tool calls too. It plugs into the
 * AI SDK as any model does (LanguageModelV3), behind a ToolLoopAgent and the
 * SDK's DirectChatTransport.
 */
import {
  type ChatTransport,
  DirectChatTransport,
  jsonSchema,
  simulateReadableStream,
  stepCountIs,
  ToolLoopAgent,
  tool,
  type UIMessage,
} from 'ai';

type Prompt = Array<{ role: string; content: unknown }>;

const usage = (input: number, output: number) => ({
  inputTokens: { total: input, noCache: input, cacheRead: undefined, cacheWrite: undefined },
  outputTokens: { total: output, text: output, reasoning: undefined },
});

function lastUserText(prompt: Prompt): string {
  for (let i = prompt.length - 1; i >= 0; i--) {
    const m = prompt[i]!;
    if (m.role !== 'user') continue;
    const parts = Array.isArray(m.content) ? m.content : [];
    return parts
      .map((p: { type?: string; text?: string }) => (p.type === 'text' ? p.text : ''))
      .join('');
  }
  return '';
}

function answer(prompt: Prompt): string {
  const question = lastUserText(prompt);
  const toolResult = prompt.find((m) => m.role === 'tool');
  if (toolResult) return 'The simulated sky is clear and it is 21 °C. Enjoy the walk!';
  return `You said: "${question}". This reply is streamed word by word by a simulated model, stored by sessionlog as it arrives, and shown live in every tab.`;
}

/** Milliseconds between two streamed words (the e2e test slows it down to reload mid-reply). */
const delay = () => Number(new URLSearchParams(location.search).get('delay') ?? 40);

const model = {
  specificationVersion: 'v3' as const,
  provider: 'simulated',
  modelId: 'simulated-1',
  supportedUrls: {},
  async doGenerate(): Promise<never> {
    throw new Error('the simulated model only streams');
  },
  async doStream({ prompt }: { prompt: Prompt }) {
    const wantsWeather =
      /weather/i.test(lastUserText(prompt)) && !prompt.some((m) => m.role === 'tool');
    // LanguageModelV3 stream parts (typed by @ai-sdk/provider, which the app need not import).
    const chunks: unknown[] = wantsWeather
      ? [
          { type: 'stream-start', warnings: [] },
          {
            type: 'tool-call',
            toolCallId: `call-${Date.now()}`,
            toolName: 'weather',
            input: JSON.stringify({ city: 'Paris' }),
          },
          {
            type: 'finish',
            usage: usage(20, 8),
            finishReason: { unified: 'tool-calls', raw: 'tool_calls' },
          },
        ]
      : [
          { type: 'stream-start', warnings: [] },
          { type: 'text-start', id: 't' },
          ...answer(prompt)
            .split(/(?<= )/)
            .map((delta) => ({ type: 'text-delta', id: 't', delta })),
          { type: 'text-end', id: 't' },
          { type: 'finish', usage: usage(20, 30), finishReason: { unified: 'stop', raw: 'stop' } },
        ];
    return { stream: simulateReadableStream({ chunks, chunkDelayInMs: delay() }) };
  },
};

const weather = tool({
  description: 'The weather in a city',
  inputSchema: jsonSchema<{ city: string }>({
    type: 'object',
    properties: { city: { type: 'string' } },
    required: ['city'],
  }),
  execute: async ({ city }) => ({ city, celsius: 21, sky: 'clear' }),
});

/** The chat transport of the simulated model. */
export function simulatedTransport(): ChatTransport<UIMessage> {
  const agent = new ToolLoopAgent({
    model: model as never,
    tools: { weather },
    stopWhen: stepCountIs(3),
  });
  return new DirectChatTransport({
    agent,
    // Usage and model in the message metadata: sessionlog stores them with the reply.
    messageMetadata: ({ part }) =>
      part.type === 'finish' ? { model: 'simulated-1', totalUsage: part.totalUsage } : undefined,
  }) as unknown as ChatTransport<UIMessage>;
}
