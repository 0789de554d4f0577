// The openai SDK's previous major (6), where many users still are: the same conformance as 7.
import OpenAI from 'openai'
import OpenAIv6 from 'openai-v6'
import { openaiConformance } from './clients/openai'

openaiConformance(OpenAIv6 as unknown as typeof OpenAI, '6')
