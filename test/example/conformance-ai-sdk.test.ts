// The Vercel AI SDK 7 with each provider a gateway serves: @ai-sdk/openai-compatible 3 and
// @ai-sdk/openai 4 (chat completions) on the OpenAI routes (clients/ai-sdk.ts).
import { createOpenAI } from '@ai-sdk/openai'
import { createOpenAICompatible } from '@ai-sdk/openai-compatible'
import * as ai from 'ai'
import { aiSdkConformance } from './clients/ai-sdk'

aiSdkConformance(ai, (options, modelId) => createOpenAICompatible({ name: 'demo', ...options }).chatModel(modelId), 'ai 7 + @ai-sdk/openai-compatible 3')
aiSdkConformance(ai, (options, modelId) => createOpenAI(options).chat(modelId), 'ai 7 + @ai-sdk/openai 4 (.chat)')
