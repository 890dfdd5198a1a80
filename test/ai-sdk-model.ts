/**
 * A scripted model for the AI SDK tests and the example app's tests: the SDK's
 * own MockLanguageModelV3 (from `ai/test`) behind a ToolLoopAgent and a
 * DirectChatTransport, so useChat runs the SDK's real pipeline in the page
 * without a network. Each model call streams the next script; a script can be
 * held open (`gate`) so a test can act mid-reply.
 */
import {
  type ChatTransport,
  DirectChatTransport,
  jsonSchema,
  stepCountIs,
  ToolLoopAgent,
  tool,
  type UIMessage,
} from 'ai';
import { MockLanguageModelV3 } from 'ai/test';

/** A model stream part, typed through `ai/test` (`@ai-sdk/provider` is ai's dependency, not ours). */
type LanguageModelV3StreamPart =
  Awaited<ReturnType<MockLanguageModelV3['doStream']>>['stream'] extends ReadableStream<infer P>
    ? P
    : never;

/** A model call's stream, fed by the test. */
export class Gate {
  #controller!: ReadableStreamDefaultController<LanguageModelV3StreamPart>;
  readonly stream = new ReadableStream<LanguageModelV3StreamPart>({
    start: (controller) => {
      this.#controller = controller;
    },
  });
  push(...parts: LanguageModelV3StreamPart[]): void {
    for (const part of parts) this.#controller.enqueue(part);
  }
  close(): void {
    this.#controller.close();
  }
}

const USAGE = {
  inputTokens: { total: 10, noCache: 10, cacheRead: undefined, cacheWrite: undefined },
  outputTokens: { total: 5, text: 5, reasoning: undefined },
};

/** The parts of a model call that answers `text`, finishing with usage. */
export function textReply(text: string, id = 't'): LanguageModelV3StreamPart[] {
  return [
    { type: 'stream-start', warnings: [] },
    { type: 'text-start', id },
    ...text.split(/(?<= )/).map((delta) => ({ type: 'text-delta' as const, id, delta })),
    { type: 'text-end', id },
    { type: 'finish', usage: USAGE, finishReason: { unified: 'stop', raw: 'stop' } },
  ];
}

/** The parts of a model call that asks for a tool. */
export function toolCallReply(
  toolCallId: string,
  toolName: string,
  input: unknown,
): LanguageModelV3StreamPart[] {
  return [
    { type: 'stream-start', warnings: [] },
    { type: 'tool-call', toolCallId, toolName, input: JSON.stringify(input) },
    { type: 'finish', usage: USAGE, finishReason: { unified: 'tool-calls', raw: 'tool_calls' } },
  ];
}

/** The finish of a gated call. */
export const finish: LanguageModelV3StreamPart = {
  type: 'finish',
  usage: USAGE,
  finishReason: { unified: 'stop', raw: 'stop' },
};

/** Each script is one model call: parts streamed at once, or a Gate the test feeds. */
export type Script = LanguageModelV3StreamPart[] | Gate;

/** A weather tool, executed in the page. */
export const weather = tool({
  description: 'The weather in a city',
  inputSchema: jsonSchema<{ city: string }>({
    type: 'object',
    properties: { city: { type: 'string' } },
    required: ['city'],
  }),
  execute: async ({ city }) => ({ city, celsius: 21 }),
});

/** A DirectChatTransport over a mock model that plays `scripts`, one per model call. */
export function scriptedTransport(scripts: Script[]): ChatTransport<UIMessage> {
  const model = new MockLanguageModelV3({
    modelId: 'mock-1',
    doStream: async () => {
      const script = scripts.shift();
      if (!script) throw new Error('the test gave the model no more scripts');
      const stream =
        script instanceof Gate
          ? script.stream
          : new ReadableStream<LanguageModelV3StreamPart>({
              start(controller) {
                for (const part of script) controller.enqueue(part);
                controller.close();
              },
            });
      return { stream };
    },
  });
  const agent = new ToolLoopAgent({ model, tools: { weather }, stopWhen: stepCountIs(4) });
  // Typed as the plain UIMessage transport an app's useChat takes.
  return new DirectChatTransport({
    agent,
    // The SDK's documented pattern for usage: the message metadata on finish.
    messageMetadata: ({ part }) =>
      part.type === 'finish' ? { model: 'mock-1', totalUsage: part.totalUsage } : undefined,
  }) as unknown as ChatTransport<UIMessage>;
}
