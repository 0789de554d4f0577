// The AI SDK's previous major, where many users still are: ai 5 with @ai-sdk/openai-compatible 1.
import { createOpenAICompatible } from '@ai-sdk/openai-compatible-v1'
import * as ai from 'ai-v5'
import { aiSdkConformance, type AiModule, type ModelFactory } from './clients/ai-sdk'

const model = (options: Parameters<ModelFactory>[0], modelId: string) => createOpenAICompatible({ name: 'demo', ...options }).chatModel(modelId)
aiSdkConformance(ai as unknown as AiModule, model as unknown as ModelFactory, 'ai 5 + @ai-sdk/openai-compatible 1')
